// The server and the checks every test gets.
//
// - `app`: the real release binary, started per test file on port 0 with its own SQLite
//   file; `app.restart()` stops it with SIGTERM and starts it again on the same port.
// - every page is watched: a console error or warning, a page error or a hydration
//   complaint fails the test.
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const binary = process.env.SESAME_BIN ?? path.join(repo, 'target', 'release', 'sesame');

export class App {
  private child?: ChildProcess;
  private addr = '127.0.0.1:0';
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sesame-e2e-'));
  baseURL = '';

  async start(): Promise<void> {
    const child = spawn(binary, [], {
      env: {
        ...process.env,
        SESAME_ADDR: this.addr,
        DATABASE_URL: `sqlite://${path.join(this.dir, 'sesame.db')}`,
        SESAME_SITE_ROOT: path.join(repo, 'target', 'site'),
        SESAME_LOG: 'info',
        // Every test signs up its own users, all from 127.0.0.1: far more than the
        // default ten accounts an hour per address.
        SESAME_SIGNUPS_PER_IP: '1000',
        // Short, so that a test can wait for the password to be asked again.
        SESAME_SUDO_WINDOW: '3s',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.addr = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${seen}`)), 15_000);
      const watch = (chunk: Buffer) => {
        seen += chunk.toString();
        const match = seen.match(/listening addr=(\S+)/);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout!.on('data', watch);
      child.stderr!.on('data', watch);
      child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${seen}`)));
    });
    this.baseURL = `http://${this.addr}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type Fixtures = {
  /**
   * Declares that a server function may answer this error status in this test (say 401
   * for a wrong password). Chromium logs every such answer as a console error; only the
   * declared statuses, from `/api/` URLs, are not counted as problems.
   */
  expectApiStatus: (status: number) => void;
  declaredStatuses: Set<number>;
  watched: void;
};
type WorkerFixtures = { app: App };

export const test = base.extend<Fixtures, WorkerFixtures>({
  app: [
    async ({}, use) => {
      const app = new App();
      await app.start();
      await use(app);
      await app.stop();
      app.cleanup();
    },
    { scope: 'worker' },
  ],

  baseURL: async ({ app }, use) => {
    await use(app.baseURL);
  },

  declaredStatuses: async ({}, use) => {
    await use(new Set<number>());
  },

  expectApiStatus: async ({ declaredStatuses }, use) => {
    await use((status) => declaredStatuses.add(status));
  },

  watched: [
    async ({ context, declaredStatuses, javaScriptEnabled }, use) => {
      const problems: string[] = [];
      const declared = (text: string, url: string) => {
        const status = text.match(/responded with a status of (\d{3})/)?.[1];
        return status !== undefined && declaredStatuses.has(Number(status)) && url.includes('/api/');
      };
      const watch = (page: Page) => {
        page.on('console', (message) => {
          if (declared(message.text(), message.location().url)) return;
          // Without JavaScript the bundle that the page preloads is never used, and
          // Chromium says so after a few seconds: that is the point of the test, not a fault.
          if (!javaScriptEnabled && message.text().includes('was preloaded using link preload')) return;
          if (['error', 'warning'].includes(message.type())) {
            problems.push(`console ${message.type()}: ${message.text()}`);
          } else if (/hydrat/i.test(message.text())) {
            problems.push(`console: ${message.text()}`);
          }
        });
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      };
      context.pages().forEach(watch);
      context.on('page', watch);
      await use();
      expect(problems, 'the browser reported problems').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** A username no other test uses, within the 32-character limit. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export const PASSWORD = 'correct-horse-1';

/** With JavaScript on, waits until the WASM bundle has taken over the page. */
export async function hydrated(page: Page, javaScript: boolean): Promise<void> {
  if (javaScript) {
    await expect(page.locator('body[data-hydrated]')).toBeAttached({ timeout: 10_000 });
  }
}
