// C14: pages that depend on who is signed in hydrate without complaint in every state,
// and their controls work once hydrated. The fixture fails a test on any console error,
// page error or hydration warning.
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect, hydrated, uniqueName, PASSWORD } from './fixtures';

const routes = ['/', '/login', '/signup', '/account'];

async function signIn(page: Page, request: import('@playwright/test').APIRequestContext): Promise<string> {
  const username = uniqueName('hyd');
  const signup = await request.post('/api/signup', {
    form: { username, password: PASSWORD, password_confirm: PASSWORD },
  });
  expect(signup.status()).toBe(200);
  await page.goto('/login');
  await hydrated(page, true);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  return username;
}

async function sessionCookie(context: BrowserContext): Promise<string> {
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'sesame');
  expect(cookie).toBeDefined();
  return cookie.value;
}

async function visitEveryRoute(page: Page): Promise<void> {
  for (const route of routes) {
    await page.goto(route);
    await hydrated(page, true);
    await page.waitForLoadState('networkidle');
  }
}

test('c14: anonymous pages hydrate cleanly and their links navigate', async ({ page }) => {
  await visitEveryRoute(page);

  await page.goto('/');
  await hydrated(page, true);
  await page.getByRole('banner').getByRole('link', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});

test('c14: signed-in pages hydrate cleanly and logout works from the header', async ({ page, request }) => {
  const username = await signIn(page, request);

  await visitEveryRoute(page);
  await expect(page.getByTestId('username')).toHaveText(username);
  await page.getByRole('button', { name: 'Log out' }).click();

  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText('You are not signed in.')).toBeVisible();
});

test('c14: a revoked cookie renders and hydrates as signed out on both sides', async ({ page, context, request }) => {
  await signIn(page, request);
  const cookie = await sessionCookie(context);
  const revoke = await request.post('/api/logout', { headers: { Cookie: `sesame=${cookie}` } });
  expect(revoke.status()).toBe(200);

  await page.goto('/');
  await hydrated(page, true);
  await expect(page.getByText('You are not signed in.')).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await hydrated(page, true);
  expect((await context.cookies()).filter((c) => c.name === 'sesame')).toEqual([]);
});

test('c14: client-side navigation to /account while signed out lands on login', async ({ page }) => {
  await page.goto('/');
  await hydrated(page, true);

  await page.evaluate(() => {
    const link = document.createElement('a');
    link.href = '/account';
    link.textContent = 'to account';
    document.body.append(link);
  });
  await page.getByRole('link', { name: 'to account' }).click();

  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});
