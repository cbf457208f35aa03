/**
 * deploy/k8s/ checked without a cluster: every manifest against Kubernetes' API schemas
 * (kubernetes-models, offline) and, as the API server's strict field validation would, for fields
 * the API does not have (those schemas allow any field: TypeScript's excess-property check over the
 * models' types finds them); then the event's own rules (one pod per shard, one START_AT, sizing,
 * what WebRTC needs from the network), the image the Job runs, how the results are collected, and
 * the `loadtest` profile of docker-compose.yml.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';
import { containerPorts, readCompose, ROOT, type ComposeService } from './support/compose.ts';

const K8S_DIR = 'deploy/k8s/';
const KUSTOMIZATION = 'kustomization.yaml';

interface Manifest {
  file: string;
  doc: { apiVersion: string; kind: string; metadata?: { name?: string } };
}

const read = (file: string) => readFileSync(ROOT + file, 'utf8');

function readManifests(): Manifest[] {
  const files = readdirSync(ROOT + K8S_DIR).filter((file) => file.endsWith('.yaml') && file !== KUSTOMIZATION).sort();
  return files.flatMap((file) => parseAllDocuments(read(K8S_DIR + file)).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    return { file, doc: document.toJS() };
  }));
}

const manifests = readManifests();
const only = <T>(kind: string): T => {
  const found = manifests.filter(({ doc }) => doc.kind === kind);
  assert.equal(found.length, 1, `one ${kind} in ${K8S_DIR}`);
  return found[0]!.doc as T;
};
const job = only<IJob>('Job');
const configMap = only<IConfigMap>('ConfigMap');
const networkPolicy = only<INetworkPolicy>('NetworkPolicy');
const namespace = only<INamespace>('Namespace');
const kustomization = parse(read(K8S_DIR + KUSTOMIZATION)) as { namespace: string; resources: string[]; images: { name: string; newName: string }[] };

const podSpec = job.spec!.template.spec!;
const shardContainer = podSpec.containers[0]!;
const config = configMap.data!;
const args = shardContainer.args!;
const shardLabels = job.spec!.template.metadata!.labels!;

/** The value that follows `option` in an argument list. */
function optionValue(list: string[], option: string): string | undefined {
  const at = list.indexOf(option);
  return at === -1 ? undefined : list[at + 1];
}

const where = ({ file, doc }: Manifest) => `${file} (${doc.kind} ${doc.metadata?.name})`;

type Model = (new (data: unknown) => { validate(): void }) & { kind?: string };

/** The kubernetes-models class of a manifest's apiVersion and kind; undefined when there is none. */
async function modelOf(doc: Manifest['doc']): Promise<Model | undefined> {
  const module: Record<string, unknown> | undefined = await import(`kubernetes-models/${doc.apiVersion}`).catch(() => undefined);
  const model = module?.[doc.kind] as Model | undefined;
  return typeof model === 'function' && model.kind === doc.kind ? model : undefined;
}

/**
 * Fields the API does not have, anywhere in the manifests (the schemas accept any field; the API
 * server refuses them under `kubectl apply`'s default strict field validation): each manifest is
 * type-checked as an object literal of the model's interface.
 */
function unknownFieldProblems(known: Manifest[]): string[] {
  const sources = new Map(known.map(({ doc }, i) => [
    `${ROOT}${K8S_DIR}.manifest-${i}.ts`,
    `import type { I${doc.kind} as Kind } from 'kubernetes-models/${doc.apiVersion}/${doc.kind}';\nexport const manifest: Kind = ${JSON.stringify(doc, null, 2)};\n`,
  ]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => sources.has(name) || fileExists.call(host, name);
  host.readFile = (name) => sources.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = sources.get(name);
    return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  return [...sources.keys()].flatMap((name, i) => ts.getPreEmitDiagnostics(program, program.getSourceFile(name))
    .map((diagnostic) => `${where(known[i]!)}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`));
}

/** What the API server would refuse: no such kind, a schema violation, a field the API lacks. */
async function apiProblems(list: Manifest[]): Promise<string[]> {
  const problems: string[] = [];
  const known: Manifest[] = [];
  for (const manifest of list) {
    const model = await modelOf(manifest.doc);
    if (!model) {
      problems.push(`${where(manifest)}: ${manifest.doc.apiVersion} ${manifest.doc.kind} is no Kubernetes kind`);
      continue;
    }
    known.push(manifest);
    try {
      new model(manifest.doc).validate();
    } catch (error) {
      problems.push(`${where(manifest)}: ${(error as Error).message}`);
    }
  }
  return [...problems, ...unknownFieldProblems(known)];
}

type Tree = { [key: string]: unknown };
/** The object at `path` in a manifest's tree, to change it. */
const at = (tree: Tree, ...path: (string | number)[]) => path.reduce<Tree>((node, key) => node[key] as Tree, tree);

/** A copy of the Job manifest, changed by `edit`. */
function jobCopy(edit: (copy: Tree) => void): Manifest {
  const copy = structuredClone(job) as unknown as Tree;
  edit(copy);
  return { file: 'job.yaml (a copy)', doc: copy as unknown as Manifest['doc'] };
}

const INDEXED_JOB_VARIABLES = ['JOB_COMPLETION_INDEX'];

/** `$(VAR)` references in a container's command and args that its environment does not define. */
function undefinedVariables(container: IContainer, indexed: boolean): string[] {
  const defined = new Set([
    ...(indexed ? INDEXED_JOB_VARIABLES : []),
    ...(container.env ?? []).map(({ name }) => name),
    ...(container.envFrom ?? []).flatMap(({ configMapRef }) => {
      const source = manifests.find(({ doc }) => doc.kind === 'ConfigMap' && doc.metadata?.name === configMapRef?.name);
      return Object.keys((source?.doc as IConfigMap | undefined)?.data ?? {});
    }),
  ]);
  const used = [...(container.command ?? []), ...(container.args ?? [])].flatMap((arg) => [...arg.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((match) => match[1]!));
  return [...new Set(used)].filter((name) => !defined.has(name));
}

/** CPU cores and memory bytes of Kubernetes quantities as these manifests write them. */
const cores = (quantity: string | number) => (String(quantity).endsWith('m') ? Number.parseFloat(String(quantity)) / 1000 : Number(quantity));
const MEMORY_UNITS: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
function bytes(quantity: string | number): number {
  const [, amount, unit] = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(quantity)) ?? [];
  assert.ok(amount, `memory quantity ${quantity}`);
  return Number(amount) * MEMORY_UNITS[unit ?? '']!;
}

// The cost of a viewer and of the CLI, as job.yaml's comment derives them from the loadtest
// README's measurements ("Cost of a viewer": 84 MB RSS, ~5 % of a core playing).
const VIEWER_MEMORY = 96 * 2 ** 20;
const VIEWER_CPU = 0.05;
const CLI_MEMORY = 512 * 2 ** 20;
const CLI_CPU = 0.3;

// The image: its entrypoint is what the Job's pods and compose's shards run.
const dockerfile = read('loadtest/Dockerfile');
const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[];
const shardScript = shardContainer.command![2]!;
const markers = [...shardScript.matchAll(/echo "(=== .* ===)"/g)].map((match) => match[1]!);

/**
 * Whether `docker build` sends a context-relative path, by .dockerignore's rules: the last pattern
 * that matches the path or a folder above it decides, `!` includes again; `*` stays within a name,
 * `**` spans folders.
 */
function sentToBuild(path: string, patterns: string[]): boolean {
  const names = path.replace(/\/$/, '').split('/');
  let sent = true;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const parts = line.slice(negated ? 1 : 0).replace(/\/$/, '').split('/');
    const source = parts.map((part, i) => (part === '**' ? '(?:[^/]+/)*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*') + (i < parts.length - 1 ? '/' : ''))).join('');
    const pattern = new RegExp(`^${source}$`);
    if (names.some((_, i) => pattern.test(names.slice(0, i + 1).join('/')))) sent = negated;
  }
  return sent;
}

/**
 * The workspace folders whose sources a workspace's code is made of: its own and, transitively,
 * those of the `@swarmcast/*` packages its sources import.
 */
function workspaceSources(start: string): string[] {
  // A `folder/*` entry is every package folder in it (the player SDK's examples).
  const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces.flatMap((entry) =>
    entry.endsWith('/*') ? readdirSync(ROOT + entry.slice(0, -1)).map((name) => entry.slice(0, -1) + name).filter((dir) => existsSync(ROOT + `${dir}/package.json`)) : [entry],
  );
  const dirOf = new Map(workspaces.map((dir) => [(JSON.parse(read(`${dir}/package.json`)) as { name: string }).name, dir]));
  const found = new Set([start]);
  for (const dir of found) {
    for (const file of readdirSync(ROOT + `${dir}/src`, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
      for (const [, name] of read(`${dir}/src/${file}`).matchAll(/from '(@swarmcast\/[^/']+)/g)) found.add(dirOf.get(name!)!);
    }
  }
  return [...found];
}

describe('deploy/k8s', () => {
  test('every manifest is a Kubernetes kind that passes its API schema, with no field the API lacks', async () => {
    assert.deepEqual(manifests.map(({ doc }) => doc.kind).sort(), ['ConfigMap', 'Job', 'Namespace', 'NetworkPolicy']);
    assert.deepEqual(await apiProblems(manifests), []);
  });

  test('a broken manifest fails: an unknown completionMode, a string for an integer, a misplaced field, an unknown kind', async () => {
    const broken: [string, Manifest, RegExp][] = [
      ['completionMode: Sideways', jobCopy((copy) => (at(copy, 'spec').completionMode = 'Sideways')), /completionMode must be equal to one of the allowed values/],
      ['completions: "3"', jobCopy((copy) => (at(copy, 'spec').completions = '3')), /completions must be integer/],
      ['podFailurePolicy in the pod spec', jobCopy((copy) => {
        at(copy, 'spec', 'template', 'spec').podFailurePolicy = at(copy, 'spec').podFailurePolicy;
        delete at(copy, 'spec').podFailurePolicy;
      }), /'"podFailurePolicy"' does not exist in type/],
      ['a typo in a container field', jobCopy((copy) => {
        const container = at(copy, 'spec', 'template', 'spec', 'containers', 0);
        container.arg = container.args;
        delete container.args;
      }), /'"arg"' does not exist in type/],
      ['kind: Jobs', jobCopy((copy) => (copy.kind = 'Jobs')), /batch\/v1 Jobs is no Kubernetes kind/],
      ['apiVersion: batch/v2', jobCopy((copy) => (copy.apiVersion = 'batch/v2')), /batch\/v2 Job is no Kubernetes kind/],
    ];
    for (const [label, manifest, expected] of broken) {
      const problems = await apiProblems([manifest]);
      assert.match(problems.join('\n'), expected, `${label} is refused`);
    }
  });

  test('kustomization.yaml applies every manifest, in the namespace namespace.yaml makes, with its image for the Job', () => {
    const files = readdirSync(ROOT + K8S_DIR).filter((file) => file.endsWith('.yaml') && file !== KUSTOMIZATION);
    assert.deepEqual([...kustomization.resources].sort(), files.sort());
    assert.equal(kustomization.namespace, namespace.metadata!.name);
    assert.deepEqual(kustomization.images.map(({ name }) => name), [shardContainer.image]);
  });

  test('the Job runs one pod per shard, each on its own index, all at once, and never again', () => {
    const spec = job.spec!;
    assert.equal(spec.completionMode, 'Indexed');
    assert.equal(spec.completions, Number(config['SHARDS']), 'completions = SHARDS');
    assert.equal(spec.parallelism, Number(config['SHARDS']), 'parallelism = SHARDS: every shard at the same time');
    assert.equal(spec.backoffLimit, 0, 'a retried shard would come up after START_AT');
    assert.equal(podSpec.restartPolicy, 'Never');
    const rules = spec.podFailurePolicy!.rules;
    assert.ok(rules.some(({ action, onExitCodes }) => action === 'FailJob' && onExitCodes?.containerName === shardContainer.name && onExitCodes.operator === 'NotIn' && onExitCodes.values.join() === '0'));
    assert.ok(rules.some(({ action, onPodConditions }) => action === 'FailJob' && onPodConditions?.some(({ type }) => type === 'DisruptionTarget')));
    assert.ok(spec.ttlSecondsAfterFinished! >= 3600, 'the results (pod logs) stay long enough to collect');
    assert.ok(spec.activeDeadlineSeconds! > Number(config['DURATION']) + 600, 'the deadline leaves room for the wait until START_AT');
  });

  test('every shard gets the whole audience\'s options, its index as --shard, and the one START_AT', () => {
    assert.equal(optionValue(args, '--shard'), '$(JOB_COMPLETION_INDEX)/$(SHARDS)');
    assert.equal(optionValue(args, '--start-at'), '$(START_AT)');
    assert.equal(args[0], 'event');
    assert.ok(args.includes('--allow-remote'), 'the stack is not on the pod\'s loopback');
    assert.deepEqual(undefinedVariables(shardContainer, true), []);
    const used = new Set([...args.join(' ').matchAll(/\$\((\w+)\)/g)].map((match) => match[1]));
    // THRESHOLDS judge the merged event: collect-results.sh reads them, not the shards.
    assert.deepEqual(Object.keys(config).filter((key) => !used.has(key)), ['THRESHOLDS']);
    assert.ok(!args.includes('--threshold'));
    assert.ok(Number.isNaN(Date.parse(config['START_AT']!)), 'applied unedited, the shards refuse at once rather than wait for a stale time');
    assert.match(config['ORIGIN']!, /^https?:\/\/\S+$/);
    assert.match(config['TRACKER']!, /^wss?:\/\/\S+$/, 'one tracker URL: $(TRACKER) is one argument');
    for (const key of ['SHARDS', 'VIEWERS', 'DURATION', 'RAMP', 'LIVE_LATENCY', 'SEED', 'CHURN']) assert.match(config[key]!, /^\d+$/, key);
    assert.ok(Number(config['DURATION']) <= 600 || args.includes('--max-duration'), 'the CLI caps a run at --max-duration (600 s by default)');
    assert.deepEqual([config['NETWORK'], config['UNREACHABLE']], ['lan', '0'], 'the default shards need no privileges');
  });

  test('an undefined $(VAR) in the args is caught', () => {
    const typo = { ...shardContainer, args: [...args, '--seed', '$(SEEDS)', '--escaped', '$$(NOT_A_VARIABLE)'] };
    assert.deepEqual(undefinedVariables(typo, true), ['SEEDS']);
    assert.deepEqual(undefinedVariables(shardContainer, false), ['JOB_COMPLETION_INDEX'], 'only an Indexed Job defines JOB_COMPLETION_INDEX');
  });

  test('the result goes to a volume and, between markers, to the log that collect-results.sh reads', () => {
    const resultFile = shardContainer.env!.find(({ name }) => name === 'RESULT_FILE')!.value!;
    assert.equal(optionValue(args, '--out'), '$(RESULT_FILE)');
    const mount = shardContainer.volumeMounts!.find(({ mountPath }) => resultFile.startsWith(`${mountPath}/`));
    assert.ok(podSpec.volumes!.find(({ name }) => name === mount?.name)?.emptyDir, 'an emptyDir holds the result');
    assert.equal(markers.length, 2);
    assert.match(shardScript, /gzip -c "\$RESULT_FILE" \| base64/);
    assert.match(shardScript, /exit "\$status"/, 'the pod fails when the run does');
  });

  test('each pod is sized for its share of the audience, and the shards spread over nodes', () => {
    const perPod = Math.ceil(Number(config['VIEWERS']) / Number(config['SHARDS']));
    const { requests, limits } = shardContainer.resources!;
    assert.ok(bytes(requests!['memory']!) >= perPod * VIEWER_MEMORY + CLI_MEMORY, `memory for ${perPod} viewers`);
    assert.equal(limits!['memory'], requests!['memory'], 'a memory limit the pod was scheduled for');
    assert.ok(cores(requests!['cpu']!) >= perPod * VIEWER_CPU + CLI_CPU, `CPU for ${perPod} viewers`);
    assert.equal(limits!['cpu'], undefined, 'no CPU throttling of the viewers');
    const spread = podSpec.topologySpreadConstraints!;
    assert.ok(spread.some(({ topologyKey, maxSkew, labelSelector }) => topologyKey === 'kubernetes.io/hostname' && maxSkew === 1 && Object.entries(labelSelector!.matchLabels!).every(([key, value]) => shardLabels[key] === value)));
  });

  test('shards run unprivileged (Pod Security "restricted"); the commented variant for own hosts is valid and privileged', async () => {
    assert.equal(namespace.metadata!.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.equal(podSpec.securityContext!.runAsNonRoot, true);
    assert.equal(typeof podSpec.securityContext!.runAsUser, 'number', 'runAsNonRoot can check only a numeric user');
    assert.equal(podSpec.securityContext!.seccompProfile!.type, 'RuntimeDefault');
    assert.equal(shardContainer.securityContext!.allowPrivilegeEscalation, false);
    assert.deepEqual(shardContainer.securityContext!.capabilities!.drop, ['ALL']);
    assert.equal(podSpec.automountServiceAccountToken, false);

    const commented = /replace this securityContext with\n((?: *# {3}.*\n)+)/.exec(read(`${K8S_DIR}job.yaml`))?.[1];
    assert.ok(commented, 'the commented variant is in job.yaml');
    const variant = parse(commented.replace(/^ *# {3}/gm, '')) as { securityContext: NonNullable<IContainer['securityContext']> };
    assert.equal(variant.securityContext.privileged, true);
    assert.equal(variant.securityContext.runAsUser, 0);
    assert.deepEqual(await apiProblems([jobCopy((copy) => (at(copy, 'spec', 'template', 'spec', 'containers', 0).securityContext = variant.securityContext))]), []);
  });

  test('the NetworkPolicy lets the shards reach each other over UDP on every port, and the stack over TCP', () => {
    const selects = (selector: { matchLabels?: Record<string, string> } | undefined) => Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => shardLabels[key] === value);
    const spec = networkPolicy.spec!;
    assert.ok(selects(spec.podSelector));
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    const everyUdpPort = (rule: { ports?: { protocol?: string; port?: unknown }[] }) => rule.ports?.some(({ protocol, port }) => protocol === 'UDP' && port === undefined);
    assert.ok(spec.ingress!.some((rule) => everyUdpPort(rule) && rule.from!.some(({ podSelector }) => selects(podSelector))), 'UDP in from the other shards');
    assert.ok(spec.egress!.some((rule) => everyUdpPort(rule) && rule.to!.some(({ podSelector }) => selects(podSelector))), 'UDP out to the other shards');
    assert.ok(spec.egress!.some((rule) => rule.to === undefined && ['UDP', 'TCP'].every((protocol) => rule.ports!.some((port) => port.protocol === protocol && port.port === 53))), 'DNS');
    for (const target of [config['ORIGIN']!, config['TRACKER']!]) {
      const url = new URL(target);
      const port = Number(url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80));
      const serviceNamespace = /^[^.]+\.([^.]+)\.svc\./.exec(url.hostname)?.[1];
      assert.ok(spec.egress!.some((rule) => rule.ports?.some((allowed) => allowed.protocol === 'TCP' && allowed.port === port)
        && rule.to?.some(({ namespaceSelector }) => namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === serviceNamespace)), `TCP to ${target}`);
    }
  });

  test('the image runs the built CLI as the unprivileged node user, on glibc, with the patched p2p-media-loader inside', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-(?!alpine)\S+$/m, 'Node 20, glibc (not Alpine) for @roamhq/wrtc\'s binary');
    assert.equal(dockerfile.match(/^FROM /gm)!.length, dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)!.length);
    assert.match(dockerfile, /^USER node$/m);
    const loadtestPackage = JSON.parse(read('loadtest/package.json')) as { bin: Record<string, string> };
    assert.deepEqual(entrypoint, ['node', `loadtest/${loadtestPackage.bin['swarmcast-loadtest']}`]);
    assert.equal(shardScript.split('\n')[0], `${entrypoint.join(' ')} "$@"`, 'the Job\'s pods run the image\'s entrypoint');

    const [build, runtime] = dockerfile.split(/^FROM .* AS runtime$/m) as [string, string];
    const steps = (stage: string) => stage.split('\n').filter((line) => /^(COPY|RUN) /.test(line));
    // The root's postinstall applies patches/ in the build stage's install, before the bundles are made.
    assert.equal((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['postinstall'], 'patch-package');
    const buildSteps = steps(build);
    const at = (pattern: RegExp) => buildSteps.findIndex((line) => pattern.test(line));
    assert.ok(at(/^COPY patches\/ patches\/$/) !== -1 && at(/^COPY patches\//) < at(/^RUN npm ci (?!.*--ignore-scripts).*-w loadtest\b.*--include-workspace-root/));
    assert.ok(at(/^RUN npm ci /) < at(/^RUN npm run build -w loadtest$/));
    // The sources the bundles are made of: loadtest's and those of the workspace packages they import.
    for (const dir of workspaceSources('loadtest')) {
      assert.ok(at(new RegExp(`^COPY ${dir}/package.json ${dir}/$`)) !== -1, `${dir}'s manifest`);
      // Its sources, or the whole package where its build needs more (the SDK's bundle for --browsers).
      assert.ok(Math.max(at(new RegExp(`^COPY ${dir}/src/ ${dir}/src/$`)), at(new RegExp(`^COPY ${dir}/ ${dir}/$`))) > at(/^RUN npm ci /), `${dir}'s sources`);
    }
    assert.match(runtime, /^RUN npm ci --omit=dev .*-w loadtest /m);
    assert.match(runtime, /^COPY --from=build \/src\/loadtest\/dist\/ loadtest\/dist\/$/m);

    const ignore = read('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'));
    const sent = (path: string) => sentToBuild(path, ignore);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) {
        assert.ok(existsSync(ROOT + source), `COPY ${source} exists`);
        assert.ok(sent(source), `COPY ${source} is sent to the build (.dockerignore)`);
      }
    }
    assert.ok(!sent('loadtest/node_modules/x') && !sent('loadtest/test/x.ts'), 'the .dockerignore check can refuse');
  });
});

describe('deploy/k8s/collect-results.sh', () => {
  const script = `${ROOT}${K8S_DIR}collect-results.sh`;
  const result = (shard: number) => ({ scenario: 'event', parameters: { shard: `${shard}/3` }, metrics: [{ name: 'late_segments', value: shard, unit: 'count' }] });
  // As the pod prints it: its summary, then the result gzipped in base64 lines of 76 characters.
  const encoded = (value: unknown) => gzipSync(`${JSON.stringify(value, null, 2)}\n`).toString('base64').replace(/.{76}/g, '$&\n');
  const logOf = (shard: number) => `event → http://origin:8080: 300 s\n  late segments  0\n${markers[0]}\n${encoded(result(shard))}\n${markers[1]}\n`;

  /** Runs the script against a stand-in kubectl that answers as the applied manifests would, for these pods: name, completion index, log. */
  function collect(pods: [name: string, index: number, log: string][]) {
    const dir = mkdtempSync(join(tmpdir(), 'swarmcast-collect-'));
    const fixtures = join(dir, 'fixtures');
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', fixtures, bin]);
    const fixture = { namespace: kustomization.namespace, job: job.metadata!.name!, completions: String(job.spec!.completions), configmap: configMap.metadata!.name!, thresholds: config['THRESHOLDS']! };
    for (const [name, value] of Object.entries(fixture)) writeFileSync(join(fixtures, name), value);
    // The pods as the script's jsonpath lists them (name, completion index), in no particular order.
    writeFileSync(join(fixtures, 'pods'), pods.map(([name, index]) => `${name} ${index}\n`).reverse().join(''));
    for (const [name, , log] of pods) writeFileSync(join(fixtures, `log-${name}`), log);
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh
f="$FIXTURES"
[ "$1" = -n ] && [ "$2" = "$(cat "$f/namespace")" ] || { echo "kubectl stand-in: unexpected $*" >&2; exit 1; }
shift 2
case "$1 $2" in
  "get job")
    [ "$3" = "$(cat "$f/job")" ] || { echo "no job $3" >&2; exit 1; }
    case "$*" in
      *conditions*) echo "SuccessCriteriaMet Complete" ;;
      *completions*) cat "$f/completions" ;;
      *configMapRef*) cat "$f/configmap" ;;
    esac ;;
  "get pods") [ "$4" = "job-name=$(cat "$f/job")" ] && cat "$f/pods" ;;
  "get configmap") [ "$3" = "$(cat "$f/configmap")" ] && cat "$f/thresholds" ;;
  logs*) cat "$f/log-$2" ;;
  *) echo "kubectl stand-in: unexpected $*" >&2; exit 1 ;;
esac
`);
    writeFileSync(join(bin, 'loadtest'), '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$FIXTURES/merge-args"\n');
    chmodSync(join(bin, 'kubectl'), 0o755);
    chmodSync(join(bin, 'loadtest'), 0o755);
    const results = join(dir, 'results');
    const run = spawnSync('bash', [script, results], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, FIXTURES: fixtures, LOADTEST_CLI: join(bin, 'loadtest') } });
    const mergeArgs = existsSync(join(fixtures, 'merge-args')) ? readFileSync(join(fixtures, 'merge-args'), 'utf8').trimEnd().split('\n') : null;
    const collected = Object.fromEntries(readdirSync(results).map((file) => [file, JSON.parse(readFileSync(join(results, file), 'utf8')) as unknown]));
    rmSync(dir, { recursive: true, force: true });
    return { status: run.status, stderr: run.stderr, mergeArgs, collected, results };
  }

  test('writes each shard\'s result from its log and merges them, in shard order, with the ConfigMap\'s thresholds', () => {
    assert.ok(statSync(script).mode & 0o100, 'executable, as the README runs it');
    const run = collect([['loadtest-event-0-x7k2p', 0, logOf(0)], ['loadtest-event-1-q9zt4', 1, logOf(1)], ['loadtest-event-2-m3c8d', 2, logOf(2)]]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.collected, { 'shard-0.json': result(0), 'shard-1.json': result(1), 'shard-2.json': result(2) });
    const file = (name: string) => join(run.results, name);
    assert.deepEqual(run.mergeArgs, ['merge', file('shard-0.json'), file('shard-1.json'), file('shard-2.json'), '--out', file('merged.json'), '--report', file('merged.html'), '--threshold', ...config['THRESHOLDS']!.split(' ')]);
  });

  test('does not merge an event whose shard left no result', () => {
    const run = collect([['loadtest-event-0-x7k2p', 0, logOf(0)], ['loadtest-event-1-q9zt4', 1, 'error: --start-at 2024-01-01T00:00:00Z has passed\n'], ['loadtest-event-2-m3c8d', 2, logOf(2)]]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`shard 1/3 left no result: kubectl -n ${kustomization.namespace} logs loadtest-event-1-q9zt4`));
    assert.equal(run.mergeArgs, null);
    assert.deepEqual(Object.keys(run.collected).sort(), ['shard-0.json', 'shard-2.json']);
  });
});

describe('docker-compose.yml: the loadtest profile', () => {
  type Service = ComposeService & { profiles?: string[]; entrypoint?: string[]; command?: string[] };
  const compose = readCompose() as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const services = Object.entries(compose.services);
  const loadtest = services.filter(([, service]) => service.profiles?.includes('loadtest'));
  const shards = loadtest.filter(([, service]) => service.entrypoint?.includes('event'));
  const merges = loadtest.filter(([, service]) => service.command?.[0] === 'merge');

  test('is apart from the stack: `docker compose up` starts none of it, and the stack\'s services are unchanged', () => {
    assert.ok(shards.length >= 2);
    assert.equal(merges.length, 1);
    assert.equal(loadtest.length, shards.length + merges.length);
    for (const [name, service] of services.filter(([, service]) => !service.profiles)) assert.notEqual(service.build?.dockerfile, 'loadtest/Dockerfile', name);
    for (const [name, service] of loadtest) {
      assert.equal(service.build?.dockerfile, 'loadtest/Dockerfile', name);
      assert.equal(service.restart, 'no', `${name} runs once`);
      assert.equal(service.environment, undefined, `${name}: options are arguments`);
    }
  });

  test('shards 0..n-1 of n, each given the one event and START_AT, against the compose stack\'s origin and load balancer', () => {
    const origin = compose.services['origin']!;
    const lb = compose.services['lb']!;
    const common = shards[0]![1].entrypoint!;
    assert.deepEqual(common.slice(0, entrypoint.length + 1), [...entrypoint, 'event'], 'the image\'s entrypoint, then event');
    assert.equal(optionValue(common, '--origin'), `http://origin:${origin.environment!['PORT']}`);
    assert.equal(optionValue(common, '--tracker'), `ws://lb:${containerPorts(lb)[0]}`);
    assert.match(optionValue(common, '--start-at')!, /^\$\{START_AT(:-[^}]*)?\}$/, 'START_AT from the environment');
    assert.ok(common.includes('--allow-remote'));
    const indices = shards.map(([name, service]) => {
      assert.deepEqual(service.entrypoint, common, `${name}: one event for every shard`);
      assert.equal(service.command!.filter((arg) => arg.startsWith('--') && !['--shard', '--out'].includes(arg)).length, 0, `${name}: only its shard and file differ`);
      for (const dependency of ['origin', 'lb']) assert.equal(service.depends_on?.[dependency]?.condition, 'service_healthy', `${name} waits for ${dependency}`);
      return optionValue(service.command!, '--shard');
    });
    assert.deepEqual(indices.sort(), shards.map((_, i) => `${i}/${shards.length}`));
  });

  test('the merge waits for every shard and reads each one\'s result from the shared volume', () => {
    const [name, merge] = merges[0]!;
    const outs = shards.map(([, service]) => optionValue(service.command!, '--out')!);
    assert.equal(new Set(outs).size, shards.length, 'a file per shard');
    assert.deepEqual(merge.command!.slice(1, 1 + shards.length), outs);
    for (const [shard] of shards) assert.equal(merge.depends_on?.[shard]?.condition, 'service_completed_successfully', `${name} waits for ${shard}`);
    assert.ok(merge.command!.includes('--threshold'));
    for (const [serviceName, service] of loadtest) {
      const volume = service.volumes?.find((mount) => mount.endsWith(':/results'));
      assert.ok(volume && compose.volumes && volume.split(':')[0]! in compose.volumes, `${serviceName} mounts the named results volume`);
    }
    for (const file of [...outs, optionValue(merge.command!, '--out')!, optionValue(merge.command!, '--report')!]) assert.ok(file.startsWith('/results/'), file);
  });
});
