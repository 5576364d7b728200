import { Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';
import { parseBackendArg } from '../src/proxy/address.js';
import { startProxy } from '../src/proxy/server.js';
import { STRATEGY_NAMES } from '../src/proxy/strategies/index.js';
import { httpUrl, wsUrl } from '../src/lab/urls.js';

export default class ProxyCommand extends WsherdCommand {
  static override summary = 'Run the reference load balancer in the foreground, in front of the given backends.';
  static override description = [
    'An L4 (TCP) balancer: each client connection goes to the backend the strategy picks, and bytes are relayed both ways. A backend that refuses a connection is taken out of rotation for a second and the client is retried once on another.',
    'The admin endpoint (always on 127.0.0.1) serves JSON at /stats (connections per backend, active and total, errors, fds, RSS, event-loop lag) and Prometheus text at /metrics.',
    `Strategies: ${STRATEGY_NAMES.join(', ')}. Runs until Ctrl-C (exit 130) or SIGTERM (exit 143).`,
  ].join('\n\n');

  static override examples = [
    {
      description: 'Round robin over two backends started with `wsherd backend`',
      command: '<%= config.bin %> <%= command.id %> --backend ws://127.0.0.1:9001 --backend ws://127.0.0.1:9002',
    },
    { description: 'Fixed ports, named backends', command: '<%= config.bin %> <%= command.id %> --port 8080 --admin-port 8081 --backend a=127.0.0.1:9001 --backend b=127.0.0.1:9002' },
  ];

  static override flags = {
    backend: Flags.string({
      char: 'b',
      description: 'A backend: ws://host:port or host:port, optionally id=… (ids default to b1, b2, … in order). Repeat for each.',
      required: true,
      multiple: true,
    }),
    host: Flags.string({ description: 'Listen address for clients.', default: '127.0.0.1' }),
    port: Flags.integer({ char: 'p', description: 'Listen port; 0 picks an ephemeral port (printed).', default: 0, min: 0, max: 65535 }),
    'admin-port': Flags.integer({ description: 'Admin endpoint port on 127.0.0.1; 0 picks an ephemeral port (printed).', default: 0, min: 0, max: 65535 }),
    strategy: Flags.string({ char: 's', description: `Balancing strategy: ${STRATEGY_NAMES.join(', ')}.`, default: 'round-robin' }),
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(ProxyCommand);
    const backends = flags.backend.map((text, i) => parseBackendArg(text, i));
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping the proxy…\n`));
    try {
      const proxy = await startProxy({ host: flags.host, port: flags.port, adminHost: '127.0.0.1', adminPort: flags['admin-port'], strategy: flags.strategy, backends });
      this.log(`Proxy (${flags.strategy}, l4) listening on ${wsUrl(flags.host, proxy.port)} (pid ${process.pid})`);
      for (const b of backends) this.log(`  ${b.id} → ${b.host}:${b.port}`);
      this.log(`Admin: ${httpUrl('127.0.0.1', proxy.adminPort, '/stats')}`);
      await stops.received;
      await proxy.close();
    } finally {
      stops.dispose();
    }
    process.exitCode = stops.exitCode();
  }
}
