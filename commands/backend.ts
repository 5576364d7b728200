import { Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';
import { STATS_PATH } from '../src/backend/identity.js';
import { startBackend } from '../src/backend/server.js';
import { startSocketIoBackend } from '../src/backend/socketio-server.js';
import { httpUrl, listeningOn, wsUrl } from '../src/lab/urls.js';

export default class Backend extends WsherdCommand {
  static override summary = 'Run one reference WebSocket backend in the foreground.';
  static override description = [
    `The backend the lab runs: it names itself (an x-wsherd-backend header on the 101 and a hello frame first), echoes every message verbatim, closes first when a client sends "wsherd:close", and counts its sessions at ${STATS_PATH}.`,
    'It prints the URL it listens on (with --port 0, the port the system chose) and runs until Ctrl-C (exit 130) or SIGTERM (exit 143).',
  ].join('\n\n');

  static override examples = [
    { description: 'A socket.io backend (hello event, echo with ack) at /socket.io/', command: '<%= config.bin %> <%= command.id %> --id b1 --kind socketio' },
    { description: 'A backend named b1 on an ephemeral loopback port', command: '<%= config.bin %> <%= command.id %> --id b1' },
    { description: 'A fixed port, and its stats', command: '<%= config.bin %> <%= command.id %> --id b2 --port 9002\ncurl -s http://127.0.0.1:9002/__wsherd/stats' },
  ];

  static override flags = {
    id: Flags.string({ description: 'Identity reported in the header, the hello frame and the stats.', default: 'b1' }),
    host: Flags.string({ description: 'Listen address.', default: '127.0.0.1' }),
    kind: Flags.string({ description: 'ws: a plain WebSocket echo server; socketio: a socket.io 4 server (polling and websocket, path /socket.io/).', options: ['ws', 'socketio'], default: 'ws' }),
    port: Flags.integer({ char: 'p', description: 'Listen port; 0 picks an ephemeral port (printed).', default: 0, min: 0, max: 65535 }),
  };

  static override handlesStopSignals = true;

  public async run(): Promise<void> {
    const { flags } = await this.parse(Backend);
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping backend ${flags.id}…\n`));
    try {
      const options = { id: flags.id, host: flags.host, port: flags.port };
      const backend = flags.kind === 'socketio' ? await startSocketIoBackend(options) : await startBackend(options);
      const where = flags.kind === 'socketio' ? httpUrl(flags.host, backend.port, '/socket.io/') : wsUrl(flags.host, backend.port);
      this.log(`Backend ${flags.id} (${flags.kind}) listening on ${listeningOn(flags.host, backend.port, where)} (pid ${process.pid})`);
      this.info(`Stats: ${httpUrl(flags.host, backend.port, STATS_PATH)}`);
      await stops.received;
      await backend.close();
    } finally {
      stops.dispose();
    }
    process.exitCode = stops.exitCode();
  }
}
