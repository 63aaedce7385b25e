// Issue 4: the account page shows every session, and ending one takes effect at once.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { test, expect, hydrated, uniqueName, PASSWORD } from './fixtures';

const FIREFOX_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

async function device(browser: Browser, javaScript: boolean, userAgent?: string): Promise<BrowserContext> {
  return browser.newContext({ javaScriptEnabled: javaScript, userAgent });
}

async function logIn(page: Page, javaScript: boolean, username: string, password = PASSWORD) {
  await page.goto('/login');
  await hydrated(page, javaScript);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

for (const javaScript of [true, false]) {
  test(`one device signs another out, and the other knows at once (JavaScript ${javaScript ? 'on' : 'off'})`, async ({
    browser,
    request,
    expectApiStatus,
  }) => {
    expectApiStatus(401);
    const username = uniqueName('dev');
    const signup = await request.post('/api/signup', {
      form: { username, password: PASSWORD, password_confirm: PASSWORD },
    });
    expect(signup.status()).toBe(200);
    await request.post('/api/logout');

    const a = await device(browser, javaScript);
    const b = await device(browser, javaScript, FIREFOX_WINDOWS);
    const pageA = await a.newPage();
    const pageB = await b.newPage();
    await logIn(pageB, javaScript, username);
    await logIn(pageA, javaScript, username);

    // A sees both sessions, with the right devices, and itself marked.
    const sessions = pageA.getByRole('region', { name: 'Where you are signed in' }).getByRole('listitem');
    await expect(sessions).toHaveCount(2);
    await expect(sessions.filter({ hasText: 'This device' })).toHaveCount(1);
    await expect(sessions.filter({ hasText: 'Firefox on Windows 10' })).toHaveCount(1);

    // A signs B out: B's next navigation lands on the login page, which says so.
    await pageA.getByRole('button', { name: /^Sign out Firefox on Windows 10/ }).click();
    await expect(sessions).toHaveCount(1);
    await pageB.goto('/account');
    await expect(pageB).toHaveURL(/\/login\?next=%2Faccount&ended=1$/);
    await expect(pageB.getByText('Your session has ended')).toBeVisible();

    // B signs in again, with its account page open; A signs B out again: B's next server
    // function lands on the login page too.
    await logIn(pageB, javaScript, username);
    await hydrated(pageB, javaScript);
    await pageA.reload();
    await hydrated(pageA, javaScript);
    await pageA.getByRole('button', { name: /^Sign out Firefox on Windows 10/ }).click();
    await expect(sessions).toHaveCount(1);
    await pageB.getByRole('button', { name: 'Sign out all other sessions' }).click();
    await expect(pageB).toHaveURL(/\/login\?next=%2Faccount&ended=1$/);
    await expect(pageB.getByText('Your session has ended')).toBeVisible();

    // B signs in again; A changes the password; B is out again.
    await logIn(pageB, javaScript, username);
    await pageA.reload();
    await hydrated(pageA, javaScript);
    const newPassword = 'violet moss under the bridge';
    await pageA.getByLabel('Current password').fill(PASSWORD);
    await pageA.getByLabel('New password', { exact: true }).fill(newPassword);
    await pageA.getByLabel('Confirm new password').fill(newPassword);
    await pageA.getByRole('button', { name: 'Change password' }).click();
    await expect(pageA.getByRole('status')).toContainText('1 other session was signed out.');
    await pageB.goto('/account');
    await expect(pageB).toHaveURL(/\/login\?next=%2Faccount&ended=1$/);

    await a.close();
    await b.close();
  });
}

test('deleting the account asks for the password once the last sign-in is old', async ({ browser, request }) => {
  const username = uniqueName('del');
  const signup = await request.post('/api/signup', {
    form: { username, password: PASSWORD, password_confirm: PASSWORD },
  });
  expect(signup.status()).toBe(200);
  const context = await device(browser, true);
  const page = await context.newPage();
  await logIn(page, true, username);
  await hydrated(page, true);
  const deletion = page.getByRole('region', { name: 'Delete your account' });
  await expect(deletion.getByLabel('Your password, to confirm it is you')).toHaveCount(0);

  // The browser tests run with a 3-second sudo window.
  // Times are kept in whole seconds: wait past the window by more than one.
  await page.waitForTimeout(4500);
  await page.reload();
  await hydrated(page, true);
  await deletion.getByLabel('Your password, to confirm it is you').fill(PASSWORD);
  await deletion.getByRole('button', { name: 'Delete my account' }).click();

  await expect(page).toHaveURL(/\/\?deleted=1$/);
  await expect(page.getByText('Your account was deleted')).toBeVisible();
  const login = await request.post('/api/login', { form: { username, password: PASSWORD } });
  expect(login.status()).toBe(401);
  await context.close();
});

test('logging out in one tab signs the other tabs out without a reload', async ({ context, request }) => {
  const username = uniqueName('tabs');
  const signup = await request.post('/api/signup', {
    form: { username, password: PASSWORD, password_confirm: PASSWORD },
  });
  expect(signup.status()).toBe(200);
  const first = await context.newPage();
  await logIn(first, true, username);
  const second = await context.newPage();
  await second.goto('/account');
  await hydrated(second, true);
  await second.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));
  await hydrated(first, true);

  await first.getByRole('button', { name: 'Log out' }).click();
  await expect(first).toHaveURL(/\/$/);

  await expect(second.getByRole('heading', { name: 'You are signed out' })).toBeVisible();
  await expect(second.getByRole('banner').getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect(second.getByTestId('username')).toHaveCount(0);
  expect(await second.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);
});

test('logging in in one tab shows the user in the other tabs', async ({ context, request }) => {
  const username = uniqueName('tabin');
  const signup = await request.post('/api/signup', {
    form: { username, password: PASSWORD, password_confirm: PASSWORD },
  });
  expect(signup.status()).toBe(200);
  const other = await context.newPage();
  await other.goto('/');
  await hydrated(other, true);
  await expect(other.getByText('You are not signed in.')).toBeVisible();

  const first = await context.newPage();
  await logIn(first, true, username);

  await expect(other.getByRole('banner').getByRole('link', { name: username })).toBeVisible();
  await expect(other.getByText(`You are signed in as ${username}`)).toBeVisible();
});
