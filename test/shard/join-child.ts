/**
 * One shard in its own process: joins the barrier described by argv[2] (JSON: BarrierJoin without signal/now) and
 * prints one JSON line, {ok: BarrierOutcome} or {error: {code, message, hint, exitCode}}. Spawned by the barrier tests.
 */
import { joinBarrier, type BarrierJoin } from '../../src/shard/barrier.js';
import { isWsherdError } from '../../src/errors.js';

const join = JSON.parse(process.argv[2] ?? '{}') as BarrierJoin;
try {
  const ok = await joinBarrier(join);
  process.stdout.write(`${JSON.stringify({ ok, pid: process.pid })}\n`);
} catch (err) {
  const e = isWsherdError(err) ? { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode } : { code: 'UNEXPECTED', message: String(err) };
  process.stdout.write(`${JSON.stringify({ error: e })}\n`);
}
