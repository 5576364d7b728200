/** Polls `check` until it holds; a test waits for what it asserts instead of sleeping a fixed time (CI is slower). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
