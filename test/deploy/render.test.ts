// The overlays render with kustomize and every object is valid against the Kubernetes OpenAPI
// schemas (kubernetes-models: types, required fields and formats; it does not flag unknown fields,
// so the policy checks look for the fields that matter by name).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { CronJob } from 'kubernetes-models/batch/v1/CronJob'
import { Service } from 'kubernetes-models/v1/Service'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { kubectlMissing, OVERLAYS, renderOverlay, type K8sObject } from './manifests.js'

interface Validatable { validate: () => void }
type ModelClass = new (data: never) => Validatable

// Only current API versions are listed, so an object of a removed or beta API fails as unknown.
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'batch/v1/CronJob': CronJob,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim
}

function validate (object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`]
  assert.ok(Model !== undefined, `no schema is known here for ${object.apiVersion} ${object.kind} (an old API version, or a kind to add to MODELS)`)
  new Model(object as never).validate()
}

const missing = kubectlMissing()
if (missing !== undefined) console.log(`# skipping the deploy render checks: ${missing}`)

describe('kustomize overlays', { skip: missing }, () => {
  for (const overlay of OVERLAYS) {
    test(`when deploy/overlays/${overlay} is rendered then it yields the whole stack and nothing twice`, () => {
      const objects = renderOverlay(overlay)
      const names = objects.map((object) => `${object.kind}/${object.metadata.name}`)
      assert.deepEqual(names.filter((name, index) => names.indexOf(name) !== index), [])
      for (const expected of ['Service/couchdb', 'Service/couchdb-headless', 'StatefulSet/couchdb', 'NetworkPolicy/couchdb',
        'Deployment/overmind', 'Service/overmind', 'PodDisruptionBudget/overmind']) {
        assert.ok(names.includes(expected), `${overlay} renders ${expected}`)
      }
    })

    test(`when every object of deploy/overlays/${overlay} is checked against the Kubernetes schema then each is valid`, () => {
      for (const object of renderOverlay(overlay)) {
        assert.doesNotThrow(() => { validate(object) }, `${object.kind} ${object.metadata.name}`)
      }
    })
  }

  test('when an object breaks the schema then the validation used above rejects it', () => {
    const deployment = structuredClone(renderOverlay('dev').find((object) => object.kind === 'Deployment')!)
    const spec = deployment.spec as { replicas: unknown, selector?: unknown }
    spec.replicas = 'three'
    assert.throws(() => { validate(deployment) }, /replicas must be integer/)
    delete spec.selector
    spec.replicas = 3
    assert.throws(() => { validate(deployment) }, /selector/)
    assert.throws(() => { validate({ ...deployment, apiVersion: 'extensions/v1beta1' }) }, /no schema is known/)
    const ingress = structuredClone(renderOverlay('production').find((object) => object.kind === 'Ingress')!)
    assert.throws(() => { validate({ ...ingress, apiVersion: 'networking.k8s.io/v1beta1' }) }, /no schema is known/, 'the Ingress API removed in Kubernetes 1.22')
    ;(ingress.spec as { rules: Array<{ http: { paths: Array<{ pathType?: string }> } }> }).rules[0]!.http.paths[0]!.pathType = undefined
    assert.throws(() => { validate(ingress) }, /pathType/)
  })
})
