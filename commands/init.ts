import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { relativeToCwd } from '../src/cli/paths.js';
import { bundledScenarios, initScenario, type BundledScenario, type InitOutcome } from '../src/init/init.js';

export default class Init extends WsherdCommand {
  static override summary = 'Write a starter scenario into this folder: a bundled example, or one for your own server.';
  static override description = `Copies one of the scenarios bundled with wsherd (default: quickstart, 1,000 clients through the
built-in lab) or writes a small scenario against your own server (--target). It never overwrites a file
unless --force is given. Then: wsherd run <file>.`;

  static override examples = [
    { description: 'The quickstart, as quickstart.yaml', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'A bundled example by name', command: '<%= config.bin %> <%= command.id %> --example sticky-sessions' },
    { description: 'Against your own server, as wsherd.yaml', command: '<%= config.bin %> <%= command.id %> --target ws://127.0.0.1:8080/' },
    { description: 'What is bundled', command: '<%= config.bin %> <%= command.id %> --list' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: 'File to write (default: <example>.yaml, or wsherd.yaml with --target).', required: false, ignoreStdin: true }),
  };

  static override flags = {
    example: Flags.string({ char: 'x', description: 'A bundled scenario by name (see --list).' }),
    target: Flags.string({ char: 't', description: 'Write a scenario against this ws:// or wss:// URL instead of the lab.' }),
    force: Flags.boolean({ char: 'f', description: 'Overwrite the file if it exists.', default: false }),
    list: Flags.boolean({ description: 'List the bundled scenarios and what each shows.', default: false }),
  };

  public async run(): Promise<InitOutcome | BundledScenario[]> {
    const { args, flags } = await this.parse(Init);
    if (flags.list) {
      const all = bundledScenarios();
      const width = Math.max(...all.map((s) => s.name.length));
      for (const s of all) this.log(`${s.name.padEnd(width)}  ${s.summary}`);
      return all;
    }
    const outcome = await initScenario({
      ...(args.file === undefined ? {} : { file: args.file }),
      ...(flags.example === undefined ? {} : { example: flags.example }),
      ...(flags.target === undefined ? {} : { target: flags.target }),
      force: flags.force,
    });
    const file = relativeToCwd(outcome.file);
    this.log(`Wrote ${file} (${outcome.from === 'target' ? `against ${flags.target ?? ''}` : `the bundled ${outcome.from} scenario`}).`);
    for (const c of outcome.companions ?? []) this.log(`Wrote ${relativeToCwd(c)} (named by the scenario).`);
    this.info(`Next: wsherd run ${file}`);
    return outcome;
  }
}
