// C08: a page on another site can link to Sesame, but cannot act with the user's session.
// The "attacker" page is served from http://localhost:<port>, another site than the app's
// http://127.0.0.1:<port>.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, hydrated, uniqueName, PASSWORD } from './fixtures';

function serveEvil(html: string): Promise<{ url: string; close: () => void }> {
  return new Promise((resolve) => {
    const server = http.createServer((_request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(html);
    });
    server.listen(0, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://localhost:${port}/evil.html`, close: () => server.close() });
    });
  });
}

test('c08: a link from another site arrives signed in; its forms and images change nothing', async ({
  page,
  request,
  app,
  expectApiStatus,
}) => {
  expectApiStatus(403);
  expectApiStatus(405);
  const username = uniqueName('csrf');
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

  const base = app.baseURL;
  const link = await serveEvil(`<a href="${base}/account">Your account</a>`);
  await page.goto(link.url);
  await page.getByRole('link', { name: 'Your account' }).click();
  await expect(page.getByTestId('username')).toHaveText(username);
  link.close();

  const attacks = [
    `<form method="POST" action="${base}/api/logout"></form>`,
    `<form method="POST" action="${base}/api/change_password">
       <input name="current_password" value="${PASSWORD}">
       <input name="password" value="attacker-chosen-1"><input name="password_confirm" value="attacker-chosen-1">
     </form>`,
    `<form method="POST" action="${base}/api/login">
       <input name="username" value="${username}"><input name="password" value="${PASSWORD}">
     </form>`,
  ];
  for (const form of attacks) {
    const evil = await serveEvil(`${form}<script>document.forms[0].submit()</script>`);
    await page.goto(evil.url);
    await page.waitForURL((url) => url.href.startsWith(base));
    await expect(page.getByText('came from another site')).toBeVisible();
    evil.close();
  }
  const image = await serveEvil(`<img src="${base}/api/logout" alt="">`);
  await page.goto(image.url);
  await page.waitForLoadState('networkidle');
  image.close();

  await page.goto('/account');
  await expect(page.getByTestId('username')).toHaveText(username);
  const other = await request.post('/api/current_user');
  expect((await other.json()).username, 'the other session is still there').toBe(username);
  const login = await request.post('/api/login', { form: { username, password: PASSWORD } });
  expect(login.status(), 'the password is unchanged').toBe(200);
});
