/** Opens a Pulumi stack for an inline program through the Automation API, with Capstan's backend, secrets and CLI. */
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { mkdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import type { PulumiSettings } from '../../toolchain/pulumi-settings';

/** One stack: `project/stack` running the given inline program. */
export interface StackAddress {
  project: string;
  stack: string;
}

/** The environment every Pulumi process gets; secrets travel only here, never in arguments or logs. */
export function pulumiEnv(settings: PulumiSettings): Record<string, string> {
  // Pulumi finds the dynamic-provider plugin script on PATH; @pulumi/pulumi ships it at its package root.
  const pluginDir = dirname(require.resolve('@pulumi/pulumi/package.json'));
  const env: Record<string, string> = {
    PULUMI_BACKEND_URL: settings.backendUrl,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    // No internet here: a missing plugin should fail at once rather than try a download.
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_HOME: join(settings.stateDir, 'home'),
    PATH: [pluginDir, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
    // That script resolves @pulumi/pulumi from the stack's work directory, which has no node_modules of its own.
    NODE_PATH: [dirname(dirname(pluginDir)), process.env.NODE_PATH ?? ''].filter(Boolean).join(delimiter),
  };
  if (settings.passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = settings.passphrase;
  return env;
}

/** Creates or selects `address` with `program` as its inline program, ready for preview/up/refresh/destroy. */
export async function openStack(settings: PulumiSettings, address: StackAddress, program: PulumiFn): Promise<Stack> {
  if (settings.backendUrl.startsWith('file://'))
    await mkdir(new URL(settings.backendUrl).pathname, { recursive: true });
  const workDir = join(settings.stateDir, 'workspaces', address.project, address.stack);
  await mkdir(workDir, { recursive: true });
  const envVars = pulumiEnv(settings);
  await mkdir(envVars.PULUMI_HOME!, { recursive: true });
  const pulumiCommand = await PulumiCommand.get({ root: dirname(dirname(settings.binary)), skipVersionCheck: false });
  return LocalWorkspace.createOrSelectStack(
    { projectName: address.project, stackName: address.stack, program },
    {
      workDir,
      pulumiCommand,
      envVars,
      pulumiHome: envVars.PULUMI_HOME,
      secretsProvider: settings.secretsProvider,
      projectSettings: { name: address.project, runtime: 'nodejs', backend: { url: settings.backendUrl } },
    },
  );
}
