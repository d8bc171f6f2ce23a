import { parseAllDocuments } from 'yaml';
import { runTool } from './tools.js';

/** One rendered Kubernetes object (only the fields the checks read are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * Renders a kustomization directory with `kubectl kustomize` (offline).
 *
 * @param dir directory relative to the repository root
 * @returns every rendered object
 */
export function renderKustomize(dir: string): K8sObject[] {
  const run = runTool(
    'kubectl',
    ['kustomize', dir],
    'apt-get install -y kubernetes-client',
  );
  if (run.status !== 0)
    throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map(doc => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

// Schema validators per apiVersion/kind: kubernetes-models compiles the
// Kubernetes OpenAPI schemas to JSON-schema validators; its
// prometheus-operator package does the same for the operator's CRDs.
const MODEL_MODULES: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
  'networking.k8s.io/v1/NetworkPolicy':
    'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'policy/v1/PodDisruptionBudget':
    'kubernetes-models/policy/v1/PodDisruptionBudget',
  'monitoring.coreos.com/v1/ServiceMonitor':
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
};

/**
 * Validates one object against its Kubernetes (or CRD) schema.
 *
 * @throws when the kind has no known schema or the object does not match it;
 *   the message names the object and the failing paths.
 */
export function validateObject(obj: K8sObject): void {
  const id = `${obj.apiVersion}/${obj.kind}`;
  const modulePath = MODEL_MODULES[id];
  if (!modulePath)
    throw new Error(
      `${id} ${obj.metadata?.name}: no schema known for this kind`,
    );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as Record<
    string,
    new (data: K8sObject) => { validate(): void }
  >;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`${modulePath} does not export ${obj.kind}`);
  try {
    new Model(normalise(obj)).validate();
  } catch (err) {
    throw new Error(`${id} ${obj.metadata.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * kustomize 5 wraps long base64 Secret values over several lines; the API
 * server's base64 decoder (Go's) skips newlines, the schema's `byte` format
 * does not, so compare what the server would decode.
 */
function normalise(obj: K8sObject): K8sObject {
  if (obj.kind !== 'Secret' || typeof obj.data !== 'object' || !obj.data)
    return obj;
  const data = Object.fromEntries(
    Object.entries(obj.data as Record<string, string>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replace(/[\r\n]/g, '') : v,
    ]),
  );
  return { ...obj, data };
}

/** The names of every object of a kind. */
export function namesOf(objects: K8sObject[], kind: string): string[] {
  return objects.filter(o => o.kind === kind).map(o => o.metadata.name);
}
