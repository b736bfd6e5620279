// `npm run token -- --role ops|picker|courier|integrator [--node NODE_ID] [--sub NAME] [--ttl 12h]`
// Issue a bearer token signed with API_TOKEN_SECRET (development default on the local stack), with
// an issuer and an expiry (--ttl, at most 90d: the API refuses tokens without one or with a longer one).
import { config } from '../config';
import { issueToken, ROLES } from '../api/auth';
import type { Role } from '../api/auth';

async function main(): Promise<void> {
  const args = new Map<string, string>();
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    if (!['--role', '--node', '--sub', '--ttl'].includes(flag) || argv[i + 1] === undefined)
      throw new Error(`unexpected argument ${flag}; usage: --role ROLE [--node NODE_ID] [--sub NAME] [--ttl 12h]`);
    args.set(flag, argv[i + 1]!);
  }
  const role = args.get('--role') as Role | undefined;
  if (!role || !ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const nodeId = args.get('--node');
  console.log(
    await issueToken(
      config().auth.tokenSecret,
      { sub: args.get('--sub') ?? `${role}-cli`, role, ...(nodeId ? { nodeId } : {}) },
      args.get('--ttl') ?? '12h',
    ),
  );
}

main().catch((err: unknown) => {
  console.error(`token: ${(err as Error).message}`);
  process.exit(2);
});
