/**
 * Secrets kept out of what a run writes. results.json embeds the scenario as run and is meant to be shared (CI
 * artifacts, `wsherd compare`, the HTML report, JUnit, Markdown, the stream, `--json`), so credentials are replaced
 * by `<redacted>` wherever they can stand: the values of credential headers, the userinfo of a URL
 * (`ws://user:pass@host/`), query values whose names look secret (`?token=…`), Redis URLs' passwords, a cookie secret.
 * Names stay, so a reader still sees that the run authenticated. Other header and query values are recorded as
 * given: per-client templates (`{{ client % 50 }}`) as the template text, never one client's value.
 */
import type { OrchestratorLabSpec, ProxySpec, Scenario } from '../scenario/types.js';

export const REDACTED = '<redacted>';
/** Headers whose values are credentials, lower case. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];
/**
 * A query parameter or header name that looks like it carries a secret: token, key, secret, password, auth,
 * signature, session, credential, jwt (as a whole word or part: access_token, apiKey, X-Auth-Token, sig).
 */
const SECRET_NAME = /(token|secret|passw(or)?d|passwd|pwd|auth|credential|jwt|session|(^|[^a-z])sig($|[^a-z])|signature|(api|access|private|client)[-_]?key|^key$)/i;

export function isSecretName(name: string): boolean {
  return SECRET_HEADERS.includes(name.toLowerCase()) || SECRET_NAME.test(name);
}

/**
 * `url` without its userinfo and with secret-looking query values replaced; anything that is not a URL is returned
 * unchanged. The shape stays readable: `ws://<redacted>@host:8080/chat?room=a&token=<redacted>`.
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('@');
  const q = url.indexOf('?');
  if (at < 0 && q < 0) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  let out = url;
  if (u.username !== '' || u.password !== '') {
    // Replace in the text rather than through URL (which would percent-encode the marker).
    out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, `$1${REDACTED}@`);
  }
  const qi = out.indexOf('?');
  if (qi >= 0) {
    const hash = out.indexOf('#', qi);
    const end = hash < 0 ? out.length : hash;
    const query = out.slice(qi + 1, end).split('&').map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // a malformed escape: judge the name as written
      }
      return isSecretName(name) ? `${part.slice(0, eq)}=${REDACTED}` : part;
    });
    out = `${out.slice(0, qi + 1)}${query.join('&')}${out.slice(end)}`;
  }
  return out;
}

function redactRecord(values: Record<string, string> | undefined): Record<string, string> | undefined {
  if (values === undefined || !Object.keys(values).some(isSecretName)) return values;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, isSecretName(name) ? REDACTED : value]));
}

/**
 * The scenario with every credential replaced by `<redacted>`: secret header and query values, URL userinfo and
 * secret query values of the target, compare entries' targets, Redis store URLs, the proxy's cookie secret.
 * A copy; the input is not changed.
 */
export function redactScenario(scenario: Scenario): Scenario {
  const s: Scenario = structuredClone(scenario);
  const b = s.behavior;
  const headers = redactRecord(b.headers);
  if (headers !== undefined) b.headers = headers;
  const query = redactRecord(b.query);
  if (query !== undefined) b.query = query;
  if (s.target !== undefined) s.target = { ...s.target, url: redactUrl(s.target.url) };
  if (s.lab !== undefined) redactLab(s.lab);
  for (const entry of s.compare ?? []) {
    redactProxy(entry.proxy);
    redactOrchestrator(entry.orchestrator);
  }
  return s;
}

function redactLab(lab: NonNullable<Scenario['lab']>): void {
  redactProxy(lab.proxy);
  redactOrchestrator(lab.orchestrator);
}

function redactOrchestrator(orch: OrchestratorLabSpec | undefined): void {
  if (orch !== undefined) orch.store = redactUrl(orch.store);
}

function redactProxy(proxy: ProxySpec | undefined): void {
  if (proxy === undefined) return;
  if (proxy.store !== undefined) proxy.store = redactUrl(proxy.store);
  const options = proxy.options as Record<string, unknown> | undefined;
  if (options?.cookieSecret !== undefined) options.cookieSecret = REDACTED;
}
