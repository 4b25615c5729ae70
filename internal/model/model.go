// Package model holds the plain Go form of a validated stacks.cue. The
// structs mirror the CUE schema; normalize fills in the derived fields
// (marked "Derived") that renderers read.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cuelang.org/go/cue"
)

// Config is the whole source.
type Config struct {
	Roles  map[string]*Role  `json:"roles"`
	Stacks map[string]*Stack `json:"stacks"`
	// HealthcheckDefaults are the schema's per-kind defaults.
	HealthcheckDefaults map[string]*Healthcheck `json:"healthcheckDefaults"`
	// PostgresMinStartPeriod is the schema's floor for postgres start_period.
	PostgresMinStartPeriod string                    `json:"postgresMinStartPeriod"`
	PostgreSQL             PostgreSQL                `json:"postgresql"`
	ExporterQueries        map[string]*ExporterQuery `json:"exporter_queries"`
	// AutoConfig holds the constants of the image's auto-config entrypoint.
	AutoConfig AutoConfig `json:"autoconfig"`
	// Environments are the named variants of the deployment (schema
	// environment.cue). Their values are not decoded here: load unifies
	// them with the source for each environment.
	Environments map[string]*Environment `json:"environments"`
	// Active is the environment this Config was compiled for, nil for the
	// source itself. Set by compile.
	Active *Environment `json:"-"`
}

// PostgreSQL is what every server and the image share.
type PostgreSQL struct {
	Base          map[string]GUCValue `json:"base"`
	Database      string              `json:"database"`
	Preload       []string            `json:"preload"`
	Extensions    []string            `json:"extensions"`
	ExtensionGUCs map[string]string   `json:"extension_gucs"`
	Build         ServerBuild         `json:"build"`
}

// ServerBuild are the compile-time options of the image's PostgreSQL.
type ServerBuild struct {
	LZ4     bool `json:"lz4"`
	Zstd    bool `json:"zstd"`
	IOUring bool `json:"io_uring"`
}

// GUCKind is the CUE kind a setting was written as; it decides quoting in
// postgresql.conf.
type GUCKind string

// GUC kinds.
const (
	GUCString GUCKind = "string"
	GUCInt    GUCKind = "int"
	GUCFloat  GUCKind = "float"
	GUCBool   GUCKind = "bool"
)

// GUCValue is a setting value: string, number or boolean, as written.
type GUCValue struct {
	Kind   GUCKind
	String string
	Int    int64
	Float  float64
	Bool   bool
}

// UnmarshalCUE keeps the CUE kind, which decides quoting in the conf.
func (g *GUCValue) UnmarshalCUE(v cue.Value) error {
	switch v.Kind() {
	case cue.BoolKind:
		b, err := v.Bool()
		*g = GUCValue{Kind: GUCBool, Bool: b}
		return err
	case cue.IntKind:
		i, err := v.Int64()
		*g = GUCValue{Kind: GUCInt, Int: i}
		return err
	case cue.FloatKind, cue.NumberKind:
		f, err := v.Float64()
		*g = GUCValue{Kind: GUCFloat, Float: f}
		return err
	default:
		s, err := v.String()
		*g = GUCValue{Kind: GUCString, String: s}
		return err
	}
}

// UnmarshalJSON is UnmarshalCUE for the JSON export of the value, which
// keeps the kind: a float is exported with a point or an exponent.
func (g *GUCValue) UnmarshalJSON(b []byte) error {
	var x any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return err
	}
	switch x := x.(type) {
	case bool:
		*g = GUCValue{Kind: GUCBool, Bool: x}
	case json.Number:
		if isJSONFloat(string(x)) {
			f, err := x.Float64()
			*g = GUCValue{Kind: GUCFloat, Float: f}
			return err
		}
		i, err := x.Int64()
		*g = GUCValue{Kind: GUCInt, Int: i}
		return err
	case string:
		*g = GUCValue{Kind: GUCString, String: x}
	default:
		return fmt.Errorf("setting value %s is not a string, number or boolean", b)
	}
	return nil
}

// ExporterQuery is one custom postgres_exporter query.
type ExporterQuery struct {
	Name       string           `json:"-"`
	Help       string           `json:"help"`
	Query      string           `json:"query"`
	MinVersion int              `json:"min_version"`
	Metrics    []ExporterMetric `json:"metrics"`
}

// ExporterMetric declares one column of an exporter query.
type ExporterMetric struct {
	Column      string `json:"column"`
	Usage       string `json:"usage"`
	Description string `json:"description"`
}

// HBARule is an application access rule from the source.
type HBARule struct {
	Database string `json:"database"`
	User     string `json:"user"`
	Address  string `json:"address"`
	Method   string `json:"method"`
	Comment  string `json:"comment"`
	// PlaintextReason admits the rule's clients without TLS.
	PlaintextReason string `json:"plaintext_reason"`
}

// Role is a PostgreSQL login role.
type Role struct {
	Name            string `json:"-"`
	PasswordVar     string `json:"password_var"`
	Superuser       bool   `json:"superuser"`
	Replication     bool   `json:"replication"`
	Monitoring      bool   `json:"monitoring"`
	ConnectionLimit *int   `json:"connection_limit"`
	PgBouncerOnly   bool   `json:"pgbouncer_only"`
}

// Stack is one compose project.
type Stack struct {
	Key         string                  `json:"-"`
	Name        string                  `json:"name"`
	Description string                  `json:"description"`
	Healthcheck map[string]*Healthcheck `json:"healthcheck"`
	Networks    map[string]*Network     `json:"networks"`
	Volumes     map[string]*Volume      `json:"volumes"`
	Services    map[string]*Service     `json:"services"`
	TLS         TLS                     `json:"tls"`
	Backup      *Backup                 `json:"backup"`
	// Kubernetes is the CloudNativePG target; nil when the stack has none.
	Kubernetes *Kubernetes `json:"kubernetes"`
	// Tunables lists every tunable of the stack, sorted by name then
	// service and field. Derived by Decode.
	Tunables []*Tunable `json:"-"`
}

// TLS sources (schema stack.cue, #TLS.source).
const (
	TLSSourceFiles   = "files"
	TLSSourceSecrets = "secrets"
)

// TLS is the TLS model of a stack (schema stack.cue, #TLS).
type TLS struct {
	Source            string `json:"source"`
	Dir               string `json:"dir"`
	CA                string `json:"ca"`
	MinProtocol       string `json:"min_protocol"`
	MinProtocolReason string `json:"min_protocol_reason"`
}

// ServiceTLS lists the names outside clients dial a server by.
type ServiceTLS struct {
	Hosts []string `json:"hosts"`
}

// SSLModeVerifyFull is the libpq sslmode every connection uses unless a
// reason is written: encrypted, and the server's certificate chains to the
// CA and names the host dialled.
const SSLModeVerifyFull = "verify-full"

// Network is a compose network of a stack.
type Network struct {
	Name       string `json:"name"`
	External   bool   `json:"external"`
	Attachable bool   `json:"attachable"`
}

// Volume is a named volume of a stack.
type Volume struct {
	Name string `json:"name"`
}

// Service kinds.
const (
	KindPostgres          = "postgres"
	KindPgBouncer         = "pgbouncer"
	KindPostgresExporter  = "postgres_exporter"
	KindPgBouncerExporter = "pgbouncer_exporter"
)

// Service is one compose service.
type Service struct {
	Key         string              `json:"-"`
	Kind        string              `json:"kind"`
	Image       Image               `json:"image"`
	Environment map[string]EnvValue `json:"environment"`
	Ports       []PortMapping       `json:"ports"`
	Volumes     []VolumeMount       `json:"volumes"`
	Networks    []string            `json:"networks"`
	DependsOn   map[string]string   `json:"depends_on"`
	Healthcheck *Healthcheck        `json:"healthcheck"`
	Resources   Resources           `json:"resources"`
	Security    Security            `json:"security"`
	Restart     string              `json:"restart"`
	Postgres    *PostgresSpec       `json:"postgres"`
	PgBouncer   *PgBouncerSpec      `json:"pgbouncer"`
	Exporter    *ExporterSpec       `json:"exporter"`
	TLS         ServiceTLS          `json:"tls"`

	// Derived by normalize.
	Health     ResolvedHealthcheck `json:"-"`
	Env        []EnvEntry          `json:"-"`
	Mounts     []Mount             `json:"-"`
	Command    []string            `json:"-"`
	Entrypoint []string            `json:"-"`
	// Secrets are the compose secrets the service reads (tls.source
	// "secrets").
	Secrets []SecretMount `json:"-"`
}

// SecretMount is one compose secret of a service: the stack-level secret
// Name, read from HostFile (relative to the stack's directory or absolute),
// which compose mounts at /run/secrets/<Name>.
type SecretMount struct {
	Name, HostFile string
}

// Image is a pinned image reference.
type Image struct {
	Name   string   `json:"name"`
	Tag    string   `json:"tag"`
	Digest EnvValue `json:"digest"`
}

// PortMapping publishes a container port.
type PortMapping struct {
	Container    int    `json:"container"`
	Host         int    `json:"host"`
	HostIP       string `json:"host_ip"`
	ExposeReason string `json:"expose_reason"`
	// Tunables holds the host port's tunable, if declared (key "host").
	Tunables Tunables `json:"-"`
}

// VolumeMount mounts a named volume.
type VolumeMount struct {
	Volume   string `json:"volume"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only"`
}

// Resources are the service's limits.
type Resources struct {
	Memory            string  `json:"memory"`
	MemoryReservation string  `json:"memory_reservation"`
	CPUs              float64 `json:"cpus"`
	Pids              int     `json:"pids"`
	// Tunables are the fields (memory, memory_reservation, cpus, pids)
	// declared tunable; the fields above hold their defaults.
	Tunables Tunables `json:"-"`
}

// Security holds the hardening settings of a service.
type Security struct {
	ReadOnly bool     `json:"read_only"`
	Tmpfs    []string `json:"tmpfs"`
	CapDrop  []string `json:"cap_drop"`
	Reason   string   `json:"reason"`
}

// Healthcheck is one layer of healthcheck settings; nil fields are unset.
type Healthcheck struct {
	Test          []string `json:"test"`
	Interval      *string  `json:"interval"`
	Timeout       *string  `json:"timeout"`
	Retries       *int     `json:"retries"`
	StartPeriod   *string  `json:"start_period"`
	StartInterval *string  `json:"start_interval"`
	Reason        string   `json:"reason"`
}

// Layer is one source a healthcheck field can come from, lowest first.
type Layer string

// Healthcheck layers.
const (
	// LayerDerived: the test normalize derives from the connection model.
	LayerDerived Layer = "derived"
	// LayerSchemaDefault: healthcheckDefaults.<kind> of the schema.
	LayerSchemaDefault Layer = "schema-default"
	// LayerStack: stacks.<stack>.healthcheck.<kind>.
	LayerStack Layer = "stack"
	// LayerService: the service's own healthcheck.
	LayerService Layer = "service"
)

// Origin is where a resolved healthcheck field came from: its layer and the
// CUE path of that layer's healthcheck (empty for LayerDerived).
type Origin struct {
	Layer Layer
	Path  string
}

// String names the origin for people: the CUE path of a layer stacks.cue
// writes, a description otherwise.
func (o Origin) String() string {
	switch o.Layer {
	case LayerDerived:
		return "derived from the connection model"
	case LayerSchemaDefault:
		return "schema default for " + o.Path[strings.LastIndex(o.Path, ".")+1:]
	}
	return o.Path
}

// InSource reports whether the origin is a layer of the user's files.
func (o Origin) InSource() bool { return o.Layer == LayerStack || o.Layer == LayerService }

// ResolvedHealthcheck is the merged, canonical healthcheck of a service.
type ResolvedHealthcheck struct {
	Test          []string
	Interval      time.Duration
	Timeout       time.Duration
	Retries       int
	StartPeriod   time.Duration
	StartInterval time.Duration
	// Origin names the layer each field came from, for explain and docs.
	Origin map[string]Origin
	// Reason is the written reason of any layer above the schema default.
	Reason string
}

// PostgresRole is what a postgres service is in its stack (schema
// service.cue, role!).
type PostgresRole string

// Postgres roles.
const (
	RolePrimary PostgresRole = "primary"
	RoleReplica PostgresRole = "replica"
	RoleSingle  PostgresRole = "single"
)

// PostgresSpec describes a PostgreSQL server.
type PostgresSpec struct {
	Role            PostgresRole        `json:"role"`
	ListenAddresses string              `json:"listen_addresses"`
	Port            int                 `json:"port"`
	DataVolume      string              `json:"data_volume"`
	BackupVolume    string              `json:"backup_volume"`
	Upstream        *Upstream           `json:"upstream"`
	Settings        map[string]GUCValue `json:"settings"`
	HBA             []HBARule           `json:"hba"`
}

// Upstream names the primary a replica streams from.
type Upstream struct {
	Host          string `json:"host"`
	Port          int    `json:"port"`
	User          string `json:"user"`
	Slot          string `json:"slot"`
	Network       string `json:"network"`
	SSLMode       string `json:"sslmode"`
	SSLModeReason string `json:"sslmode_reason"`
}

// PgBouncerSpec describes a PgBouncer pooler.
type PgBouncerSpec struct {
	Server           string   `json:"server"`
	AuthUser         string   `json:"auth_user"`
	StatsUser        string   `json:"stats_user"`
	ListenAddr       string   `json:"listen_addr"`
	ListenPort       int      `json:"listen_port"`
	PoolMode         string   `json:"pool_mode"`
	MaxClientConn    int      `json:"max_client_conn"`
	DefaultPoolSize  int      `json:"default_pool_size"`
	MinPoolSize      int      `json:"min_pool_size"`
	ReservePoolSize  int      `json:"reserve_pool_size"`
	ServerTLSSSLMode string   `json:"server_tls_sslmode"`
	ServerTLSReason  string   `json:"server_tls_reason"`
	MaxDBConnections int      `json:"max_db_connections"`
	Databases        []string `json:"databases"`
	// Tunables are the fields (max_client_conn, default_pool_size)
	// declared tunable; the fields above hold their defaults.
	Tunables Tunables `json:"-"`
}

// ExporterSpec describes a Prometheus exporter.
type ExporterSpec struct {
	Target        string `json:"target"`
	Role          string `json:"role"`
	Database      string `json:"database"`
	ListenPort    int    `json:"listen_port"`
	SSLMode       string `json:"sslmode"`
	SSLModeReason string `json:"sslmode_reason"`
}

// EnvValue is a literal, a defaulted variable (${VAR:-d}) or a required
// variable (${VAR:?message}).
type EnvValue struct {
	Literal  *string
	Var      string
	Default  *string
	Required string
	Doc      string
	// OneOf is the allowed set of a defaulted variable (a tunable set).
	OneOf []string
}

// IsLiteral reports whether the value is a plain string.
func (e EnvValue) IsLiteral() bool { return e.Literal != nil }

// UnmarshalJSON decodes the string-or-struct union of the schema.
func (e *EnvValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = EnvValue{Literal: &s}
		return nil
	}
	var raw struct {
		Default  *string  `json:"default"`
		Required string   `json:"required"`
		Var      string   `json:"var"`
		Doc      string   `json:"doc"`
		OneOf    []string `json:"one_of"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("decode environment value: %w", err)
	}
	*e = EnvValue{Default: raw.Default, Required: raw.Required, Var: raw.Var, Doc: raw.Doc, OneOf: raw.OneOf}
	return nil
}

// EnvEntry is one rendered environment variable of a service, in order.
type EnvEntry struct {
	Key   string
	Value EnvValue
	// Origin says where the entry came from: "stacks.cue" or what derived it.
	Origin string
}

// Mount is one rendered volume entry: a named volume, a file rendered by
// azagen (File, relative to the output root) or a file the operator
// provides (HostFile, relative to the stack's directory or absolute).
type Mount struct {
	Volume   string
	File     string
	HostFile string
	Target   string
	ReadOnly bool
}
