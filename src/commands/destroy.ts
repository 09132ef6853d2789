import { Flags } from '@oclif/core';
import { commonFlags, varFlags } from '../cli/base-command.js';
import { planFlags } from '../cli/plan-flags.js';
import { ApplyLike, applyFlags } from './apply.js';

export default class Destroy extends ApplyLike {
  static override description =
    "Remove every container and config file kolla manages for this configuration. Volumes are kept (as kolla-ansible does) unless --include-volumes; databases' schemas and RabbitMQ users' vhosts are kept (their accounts and users deleted) unless --include-data.";
  static override examples = [
    '<%= config.bin %> destroy',
    '<%= config.bin %> destroy -auto-approve --include-volumes',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    ...planFlags,
    ...applyFlags,
    'include-volumes': Flags.boolean({ description: 'Remove the named volumes too (their data is lost).' }),
    'include-data': Flags.boolean({
      description:
        "Drop the databases' schemas and the RabbitMQ users' vhosts too (their data is lost); without it only their accounts and users are deleted.",
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Destroy);
    this.setup(flags);
    const r = await this.runApply(flags, undefined, {
      destroy: true,
      includeVolumes: flags['include-volumes'],
      includeData: flags['include-data'],
      verb: 'destroy',
    });
    return r.result?.state ?? r.plan;
  }
}
