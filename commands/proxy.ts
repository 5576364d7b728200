import { Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';
import { parseHostPort } from '../src/proxy/address.js';
import { proxyOptionsFromFlags } from '../src/proxy/cli-options.js';
import { HEALTH_CHECK_KINDS } from '../src/proxy/health.js';
import { MAX_WORKERS, startProxy } from '../src/proxy/server.js';
import { describeStrategies } from '../src/proxy/strategies/index.js';
import { httpUrl } from '../src/lab/urls.js';

export default class ProxyCommand extends WsherdCommand {
  static override summary = 'Run the reference load balancer in the foreground, in front of the given backends.';
  static override description = [
    'Two modes. l4 (default) splices TCP: each client connection goes to the backend the strategy picks. l7 parses HTTP: every request (long-polling included) and every WebSocket upgrade is routed on its own, keep-alive on both sides, and the sticky strategies (cookie, stick-table, engineio-sid) become available.',
    'A backend that refuses a connection is taken out of rotation for a second and the client is retried once on another. Health checks (default: TCP connect every 2 s) mark a backend down after --fall failures and up after --rise passes.',
    'The admin endpoint (127.0.0.1) serves JSON at /stats (per backend: health, active and total connections, upstream ports per source; process: fds, RSS, event-loop lag; sticky table sizes), Prometheus text at /metrics, and /backends to add, remove, drain and reweight backends at run time (docs/proxy.md).',
    'At its limits it keeps running: out of fds it refuses new clients with back-off and recovers; out of local ports it answers 503 with x-wsherd-reason: upstream-ports-exhausted (l7) or closes (l4). --source spreads upstream connects over several local addresses; --maxconn caps open clients; --workers uses several processes (one fd limit each).',
    'Strategies:\n' + describeStrategies().map((l) => `  ${l}`).join('\n'),
    'Runs until Ctrl-C (exit 130) or SIGTERM (exit 143).',
  ].join('\n\n');

  static override examples = [
    {
      description: 'Round robin over two backends started with `wsherd backend`',
      command: '<%= config.bin %> <%= command.id %> --listen 127.0.0.1:8080 --backend ws://127.0.0.1:9001 --backend ws://127.0.0.1:9002',
    },
    {
      description: 'socket.io stickiness by Engine.IO session id (HTTP mode), sid table shared through Redis with other proxies',
      command: '<%= config.bin %> <%= command.id %> --mode l7 --strategy engineio-sid --store redis://127.0.0.1:6379 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002',
    },
    {
      description: 'Cookie insert over TLS with a self-signed certificate, two worker processes',
      command: '<%= config.bin %> <%= command.id %> --mode l7 --strategy cookie --tls-self-signed --workers 2 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002',
    },
    {
      description: 'Consistent hashing with bounded load (HAProxy hash-balance-factor 125), upstream sources 127.0.0.2-9',
      command: '<%= config.bin %> <%= command.id %> --strategy consistent-hash --option balance_factor=125 --source 127.0.0.2-127.0.0.9 --backend a=127.0.0.1:9001 --backend b=127.0.0.1:9002',
    },
  ];

  static override flags = {
    backend: Flags.string({
      char: 'b',
      description: 'A backend: ws://host:port or host:port, optionally id=… (ids default to b1, b2, … in order). Repeat for each.',
      required: true,
      multiple: true,
    }),
    listen: Flags.string({ char: 'l', description: 'Listen address for clients, host:port; port 0 picks an ephemeral port (printed).', default: '127.0.0.1:0' }),
    'admin-port': Flags.integer({ description: 'Admin endpoint port on 127.0.0.1; 0 picks an ephemeral port (printed).', default: 0, min: 0, max: 65535 }),
    strategy: Flags.string({ char: 's', description: `Balancing strategy (listed below).`, default: 'round-robin' }),
    option: Flags.string({ char: 'o', description: 'A strategy option, key=value (repeatable), e.g. points_per_backend=100, balance_factor=125, hash_key=query:room (l7), fallback=least-connections, cookie_secret=… (better: WSHERD_COOKIE_SECRET, which no other user can read), expire_seconds=600.', multiple: true }),
    mode: Flags.string({ char: 'm', description: 'l4: splice TCP; l7: parse HTTP (needed by cookie, stick-table, engineio-sid).', options: ['l4', 'l7'], default: 'l4' }),
    workers: Flags.integer({ description: 'Worker processes sharing the port (hash strategies agree across them; sticky tables are shared).', default: 1, min: 1, max: MAX_WORKERS }),
    'tls-cert': Flags.string({ description: 'Terminate TLS (wss://) with this PEM certificate file (needs --tls-key).', dependsOn: ['tls-key'] }),
    'tls-key': Flags.string({ description: 'PEM private key file for --tls-cert.', dependsOn: ['tls-cert'] }),
    'tls-self-signed': Flags.boolean({ description: 'Terminate TLS with a certificate made at start (localhost, 127.0.0.1, ::1); its SHA-256 fingerprint is printed.', exclusive: ['tls-cert'] }),
    store: Flags.string({ description: 'Where sticky tables live: memory, or redis://host:port[/db] to share them with other proxies.' }),
    'health-check': Flags.string({ description: 'Active check: tcp (connect), http (GET --health-path, 2xx/3xx), ws (upgrade + ping/pong), none.', options: [...HEALTH_CHECK_KINDS], default: 'tcp' }),
    'health-interval': Flags.integer({ description: 'Time between checks of one backend, ms.', default: 2000, min: 10 }),
    'health-timeout': Flags.integer({ description: 'A check not passed within this many ms fails. Default: the interval, at most 2000.', min: 1 }),
    'health-path': Flags.string({ description: 'Request path of http and ws checks.', default: '/' }),
    rise: Flags.integer({ description: 'Consecutive passed checks that bring a down backend up.', default: 2, min: 1 }),
    fall: Flags.integer({ description: 'Consecutive failed checks that take a backend down.', default: 3, min: 1 }),
    source: Flags.string({
      description: 'Local source address(es) for upstream connects: an IPv4 address or a range within one /24 (127.0.0.2-127.0.0.9). Repeatable. Multiplies the ports available per backend.',
      multiple: true,
    }),
    'source-ports': Flags.string({
      description: 'With --source: who picks the upstream source port. kernel (bind port 0; TIME_WAIT keeps a port taken) or named (the proxy names them, as HAProxy source addr:port-range: no kernel search, which grows with what is held; TIME_WAIT pairs are reused).',
      options: ['kernel', 'named'],
      default: 'kernel',
    }),
    maxconn: Flags.integer({ description: 'Open client connections above which new ones are closed at once (counted in maxconnRefused).', min: 1 }),
  };

  static override handlesStopSignals = true;

  public async run(): Promise<void> {
    const { flags } = await this.parse(ProxyCommand);
    const options = proxyOptionsFromFlags(flags);
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping the proxy…\n`));
    try {
      const proxy = await startProxy(options);
      const scheme = proxy.tls === undefined ? 'ws' : 'wss';
      const listen = parseHostPort(flags.listen, '--listen');
      const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
      this.log(`Proxy (${options.strategy}, ${options.mode}${options.workers === 1 ? '' : `, ${options.workers} workers`}) listening on ${scheme}://${host}:${proxy.port}/ (pid ${process.pid})`);
      for (const b of options.backends) this.info(`  ${b.id} → ${b.host}:${b.port}`);
      const h = options.health;
      this.info(`Health: ${h === undefined || h.kind === 'none' ? 'no active checks' : `${h.kind} every ${h.intervalMs} ms, rise ${h.rise}, fall ${h.fall}`}`);
      if (proxy.tls !== undefined) this.info(`TLS: ${proxy.tls.source} certificate, SHA-256 ${proxy.tls.fingerprint256}, valid until ${proxy.tls.validTo}`);
      if (options.store !== undefined) this.info(`Sticky tables: ${options.store.replace(/\/\/[^@/]*@/, '//***@')}`);
      if (options.sourceAddresses !== undefined) this.info(`Upstream sources: ${options.sourceAddresses.join(', ')}${options.sourcePorts === 'named' ? ' (source ports named by the proxy)' : ''}`);
      this.info(`Backends API: ${httpUrl('127.0.0.1', proxy.adminPort, '/backends')}`);
      this.info(`Admin: ${httpUrl('127.0.0.1', proxy.adminPort, '/stats')}`);
      await stops.received;
      await proxy.close();
    } finally {
      stops.dispose();
    }
    process.exitCode = stops.exitCode();
  }
}
