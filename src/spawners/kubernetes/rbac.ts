// The Kubernetes API access the `kubernetes` spawner needs, in one place: the spawner calls nothing else,
// and deploy/kubernetes's Role grants exactly this (its test compares the two), so the hub's service
// account holds the least privilege that still works.

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Namespaced rules: the hub's own namespace (or each user namespace). */
export const SPAWNER_RULES: readonly PolicyRule[] = [
  // Start, watch (one shared watch), read back and stop user pods; their logs for the admin.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  // Spawn progress and fast failure (ErrImagePull, FailedScheduling) from the pods' events.
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
  // Per-user storage (storage_pvc_ensure), removed on delete_forever with delete_pvc.
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'create', 'delete'] },
];

/**
 * With enable_user_namespaces: SPAWNER_RULES in every namespace (a ClusterRole), since the shared watches
 * list and watch pods and events cluster-wide, plus creating each user's namespace.
 */
export const USER_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
];
