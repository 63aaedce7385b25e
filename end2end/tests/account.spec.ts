// The account page: changing the password signs out every other device.
import { test, expect, hydrated, uniqueName, PASSWORD } from './fixtures';

const NEW_PASSWORD = 'violet moss under the bridge';

for (const javaScript of [true, false]) {
  test(`changing the password signs the other devices out (JavaScript ${javaScript ? 'on' : 'off'})`, async ({
    browser,
    page,
    request,
    expectApiStatus,
  }) => {
    expectApiStatus(422);
    const username = uniqueName('pw');
    const signup = await request.post('/api/signup', {
      form: { username, password: PASSWORD, password_confirm: PASSWORD },
    });
    expect(signup.status()).toBe(200);
    const other = await request.post('/api/current_user');
    expect((await other.json()).username).toBe(username);

    const device = await browser.newContext({ javaScriptEnabled: javaScript });
    const tab = await device.newPage();
    await tab.goto('/login');
    await hydrated(tab, javaScript);
    await tab.getByLabel('Username').fill(username);
    await tab.getByLabel('Password').fill(PASSWORD);
    await tab.getByRole('button', { name: 'Log in' }).click();
    await expect(tab).toHaveURL(/\/account$/);
    await hydrated(tab, javaScript);

    await tab.getByLabel('Current password').fill('not-my-password');
    await tab.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await tab.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await tab.getByRole('button', { name: 'Change password' }).click();
    await expect(tab.locator('#current_password-error')).toHaveText('That is not your current password.');

    await tab.getByLabel('Current password').fill(PASSWORD);
    await tab.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await tab.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await tab.getByRole('button', { name: 'Change password' }).click();
    await expect(tab.getByRole('status')).toHaveText(
      'Your password was changed. 1 other session was signed out.',
    );

    await tab.reload();
    await expect(tab.getByTestId('username')).toHaveText(username);
    const after = await request.post('/api/current_user');
    expect(await after.json(), 'the other device is signed out').toBeNull();
    await device.close();
    // `page` is unused but keeps the console watcher on this test's context.
    void page;
  });
}
