/** `npm run bench -- <name> [options]`: runs one benchmark and prints its ratios. */
import { benchBalancerCosts } from './balancer-costs.js';
import { benchFlows } from './flows.js';
import { benchGenerator } from './generator.js';
import { benchLean } from './lean-client.js';
import { benchMerge } from './merge.js';
import { benchProxy } from './proxy-vs-haproxy.js';
import { benchScale } from './scale.js';
import { benchScaleBackend } from './scale-backend.js';

const BENCHES: Record<string, (argv: string[]) => Promise<string>> = {
  proxy: benchProxy, costs: benchBalancerCosts, flows: benchFlows, lean: benchLean, generator: benchGenerator,
  scale: benchScale, 'scale-backend': benchScaleBackend, merge: benchMerge,
};

const [name = 'proxy', ...rest] = process.argv.slice(2);
const bench = BENCHES[name];
if (!bench) {
  process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exitCode = 2;
} else {
  try {
    process.stdout.write(`${await bench(rest)}\n`);
  } catch (err) {
    // Bad options are the usual cause: the message, not a stack.
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
