package model

// Kubernetes is a stack's CloudNativePG target (schema/kubernetes.cue).
type Kubernetes struct {
	Namespace        string            `json:"namespace"`
	Instances        int               `json:"instances"`
	Storage          KubernetesStorage `json:"storage"`
	AntiAffinity     string            `json:"anti_affinity"`
	PostgresUID      int64             `json:"postgres_uid"`
	PostgresGID      int64             `json:"postgres_gid"`
	SamenetCIDR      string            `json:"samenet_cidr"`
	SkipWALArchiving bool              `json:"skip_wal_archiving"`
	PoolerInstances  int               `json:"pooler_instances"`
	ScrapeInterval   string            `json:"scrape_interval"`
}

// KubernetesStorage is the data volume of each instance.
type KubernetesStorage struct {
	Class string `json:"class"`
	Size  string `json:"size"`
}
