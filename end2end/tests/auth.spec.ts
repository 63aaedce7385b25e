// Steps 1–6 of Sesame's main job, each with JavaScript on (hydrated) and off (plain forms).
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, hydrated, uniqueName, PASSWORD } from './fixtures';

async function signUpThroughApi(request: APIRequestContext, username: string): Promise<void> {
  const response = await request.post('/api/signup', {
    form: { username, password: PASSWORD, password_confirm: PASSWORD },
  });
  expect(response.status()).toBe(200);
}

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

for (const javaScript of [true, false]) {
  test.describe(`with JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: javaScript });

    test('the home page says you are signed out and links to sign up and log in', async ({ page }) => {
      await page.goto('/');
      await hydrated(page, javaScript);

      await expect(page.getByText('You are not signed in.')).toBeVisible();
      const main = page.getByRole('main');
      await expect(main.getByRole('link', { name: 'Log in' })).toHaveAttribute('href', '/login');
      await expect(main.getByRole('link', { name: 'create an account' })).toHaveAttribute('href', '/signup');
    });

    test('sign-up explains each problem next to its field, then signs the user in', async ({ page, expectApiStatus }) => {
      expectApiStatus(422);
      const username = uniqueName('new');
      await page.goto('/signup');
      await hydrated(page, javaScript);

      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password', { exact: true }).fill('too-short');
      await page.getByLabel('Confirm password').fill('something else');
      await page.getByRole('button', { name: 'Sign up' }).click();

      await expect(page.locator('#password-error')).toContainText('at least 12 characters');
      await expect(page.locator('#password_confirm-error')).toContainText('do not match');
      await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel('Username')).toHaveValue(username);
      expect(page.url().includes('__err'), 'hydrated forms answer in place').toBe(!javaScript);

      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Confirm password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();

      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByTestId('username')).toHaveText(username);
    });

    test('a taken username is reported on the username field', async ({ page, request, expectApiStatus }) => {
      expectApiStatus(422);
      const username = uniqueName('taken');
      await signUpThroughApi(request, username);
      await page.goto('/signup');
      await hydrated(page, javaScript);

      await page.getByLabel('Username').fill(username.toUpperCase());
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Confirm password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();

      await expect(page.locator('#username-error')).toHaveText('That username is taken. Try another one.');
    });

    test('a wrong password and an unknown user read the same', async ({ page, request, expectApiStatus }) => {
      expectApiStatus(401);
      const username = uniqueName('who');
      await signUpThroughApi(request, username);
      await page.goto('/login');
      await hydrated(page, javaScript);

      await logIn(page, username, 'not-the-password');
      const alert = page.getByRole('alert').filter({ hasText: 'Wrong username or password.' });
      await expect(alert).toBeVisible();
      await expect(page.getByLabel('Username')).toHaveValue(username);

      await logIn(page, uniqueName('nobody'), PASSWORD);
      await expect(alert).toBeVisible();
      await expect(page).toHaveURL(/\/login/);
    });

    test('an anonymous visit to /account logs in and comes back', async ({ page, request }) => {
      const username = uniqueName('back');
      await signUpThroughApi(request, username);

      await page.goto('/account');
      await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
      await hydrated(page, javaScript);
      await logIn(page, username, PASSWORD);

      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByRole('heading', { name: 'Your account', exact: true })).toBeVisible();
      await expect(page.getByTestId('username')).toHaveText(username);
      await expect(page.locator('time')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    });

    test('an off-site next is ignored', async ({ page, request }) => {
      const username = uniqueName('next');
      await signUpThroughApi(request, username);

      await page.goto('/login?next=https%3A%2F%2Fevil.example%2F');
      await hydrated(page, javaScript);
      await logIn(page, username, PASSWORD);

      await expect(page).toHaveURL(/\/account$/);
    });

    test('a signed-in user stays signed in across reloads, tabs and a server restart', async ({ page, context, request, app }) => {
      const username = uniqueName('stay');
      await signUpThroughApi(request, username);
      await page.goto('/login');
      await hydrated(page, javaScript);
      await logIn(page, username, PASSWORD);
      await expect(page).toHaveURL(/\/account$/);

      await page.reload();
      await expect(page.getByTestId('username')).toHaveText(username);

      await page.close();
      const tab = await context.newPage();
      await tab.goto('/account');
      await expect(tab.getByTestId('username')).toHaveText(username);

      await app.restart();
      await tab.goto('/account');
      await expect(tab.getByTestId('username')).toHaveText(username);
    });

    test('logging out ends the session on the server, not only in the browser', async ({ page, context, browser, request }) => {
      const username = uniqueName('out');
      await signUpThroughApi(request, username);
      await page.goto('/login');
      await hydrated(page, javaScript);
      await logIn(page, username, PASSWORD);
      await expect(page).toHaveURL(/\/account$/);
      const [copied] = (await context.cookies()).filter((c) => c.name === 'sesame');
      expect(copied).toBeDefined();

      for (const path of ['/', '/login', '/signup', '/account']) {
        await page.goto(path);
        await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
      }
      await hydrated(page, javaScript);
      await page.getByRole('button', { name: 'Log out' }).click();

      await expect(page).toHaveURL(/\/$/);
      await expect(page.getByText('You are not signed in.')).toBeVisible();
      await expect(page.getByRole('banner').getByRole('link', { name: 'Log in' })).toBeVisible();
      expect((await context.cookies()).filter((c) => c.name === 'sesame')).toEqual([]);

      // Someone who copied the cookie before the logout gets nothing from it.
      const thief = await browser.newContext({ javaScriptEnabled: javaScript });
      await thief.addCookies([copied]);
      const stolen = await thief.newPage();
      await stolen.goto('/account');
      await expect(stolen).toHaveURL(/\/login\?next=%2Faccount&ended=1$/);
      await expect(stolen.getByText('Your session has ended')).toBeVisible();
      await thief.close();
    });

    test('the session cookie is HttpOnly, Lax, host-only, and persistent only when asked', async ({ page, context, request }) => {
      const username = uniqueName('jar');
      await signUpThroughApi(request, username);
      await page.goto('/login');
      await hydrated(page, javaScript);
      await logIn(page, username, PASSWORD);
      await expect(page).toHaveURL(/\/account$/);

      const cookies = (await context.cookies()).filter((c) => c.name === 'sesame');
      expect(cookies).toHaveLength(1);
      const [cookie] = cookies;
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe('Lax');
      expect(cookie.path).toBe('/');
      expect(cookie.secure).toBe(false);
      expect(cookie.domain).toBe('127.0.0.1');
      expect(cookie.expires, 'a cookie that ends with the browser session').toBe(-1);
      if (javaScript) {
        expect(await page.evaluate(() => document.cookie)).not.toContain('sesame');
      }

      await page.goto('/login');
      await hydrated(page, javaScript);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByLabel('Keep me signed in on this device').check();
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page).toHaveURL(/\/account$/);

      const [kept] = (await context.cookies()).filter((c) => c.name === 'sesame');
      const lifetime = kept.expires - Date.now() / 1000;
      expect(lifetime).toBeGreaterThan(14 * 24 * 3600 - 60);
      expect(lifetime).toBeLessThanOrEqual(14 * 24 * 3600 + 5);
    });
  });
}
