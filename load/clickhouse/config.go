package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/adoptionlabs/etl/load"
)

// Config is the sink's block of pipelines.yaml, sink.clickhouse.
type Config struct {
	DSN           string `yaml:"dsn" doc:"the server over the native protocol, clickhouse://user:password@host:9000/database (CLICKHOUSE_DSN in the default pipelines.yaml)"`
	Cluster       string `yaml:"cluster" doc:"a cluster of the servers' remote_servers: tables are then created ON CLUSTER, Replicated, behind Distributed tables (CLICKHOUSE_CLUSTER when unset)"`
	ZooKeeperPath string `yaml:"zookeeper_path" doc:"the replicated tables' ZooKeeper path, with {shard} and {table} (CLICKHOUSE_ZOOKEEPER_PATH when unset; default /clickhouse/tables/{shard}/{database}/{table})"`
}

// NewConfig returns the defaults: no server until the DSN names one.
func NewConfig() *Config { return &Config{} }

var (
	_ load.Config       = (*Config)(nil)
	_ load.Defaulter    = (*Config)(nil)
	_ load.SecretLister = (*Config)(nil)
)

// ApplyDefaults takes the cluster settings the block leaves unset from
// CLICKHOUSE_CLUSTER and CLICKHOUSE_ZOOKEEPER_PATH.
func (c *Config) ApplyDefaults(lookup func(string) (string, bool)) {
	if c.Cluster == "" {
		c.Cluster, _ = lookup("CLICKHOUSE_CLUSTER")
	}
	if c.ZooKeeperPath == "" {
		c.ZooKeeperPath, _ = lookup("CLICKHOUSE_ZOOKEEPER_PATH")
	}
}

// Check rejects a DSN and cluster settings that cannot work, before any
// connection.
func (c *Config) Check() error {
	if strings.TrimSpace(c.DSN) == "" {
		return errors.New("sink clickhouse needs a DSN: set CLICKHOUSE_DSN (e.g. clickhouse://127.0.0.1:9000/analytics) or sink.clickhouse.dsn")
	}
	if !strings.HasPrefix(c.DSN, "clickhouse://") && !strings.HasPrefix(c.DSN, "tcp://") {
		return errors.New("CLICKHOUSE_DSN must start with clickhouse:// (native protocol)")
	}
	if err := c.checkCluster(); err != nil {
		return err
	}
	// A DSN that does not parse is bad configuration: found here, not as
	// a failed connection.
	_, err := Destination(c.DSN)
	return err
}

var clusterName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (c *Config) checkCluster() error {
	if c.Cluster == "" {
		if c.ZooKeeperPath != "" {
			return errors.New("sink.clickhouse.zookeeper_path is set but no cluster: set sink.clickhouse.cluster or CLICKHOUSE_CLUSTER, or drop zookeeper_path")
		}
		return nil
	}
	if !clusterName.MatchString(c.Cluster) {
		return fmt.Errorf("sink.clickhouse.cluster %q is not a cluster name of remote_servers (letters, digits, _ . -)", c.Cluster)
	}
	if c.ZooKeeperPath != "" {
		if err := CheckZooKeeperPath(c.ZooKeeperPath); err != nil {
			return fmt.Errorf("sink.clickhouse.%w (or CLICKHOUSE_ZOOKEEPER_PATH)", err)
		}
	}
	return nil
}

// Destination is the server and database, without credentials.
func (c *Config) Destination() (string, error) { return Destination(c.DSN) }

// Place is the kind: the DSN holds a password.
func (c *Config) Place() string { return "ClickHouse" }

// Open connects to the server, or discovers the cluster.
func (c *Config) Open(ctx context.Context, env load.Env) (load.Sink, error) {
	s, err := Open(ctx, c.DSN, c.options(env))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// options are the sink's options: one server, or the cluster named.
func (c *Config) options(env load.Env) Options {
	return Options{Logger: env.Logger, Cluster: ClusterOptions{Name: c.Cluster, ZooKeeperPath: c.ZooKeeperPath}}
}

// Secrets is the DSN's password.
func (c *Config) Secrets() []string {
	if u, err := url.Parse(c.DSN); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			return []string{pw}
		}
	}
	return nil
}

// BadSettings marks a DSN that cannot be used as written as bad
// configuration, even when the first connection is what finds it.
func (*DSNError) BadSettings() {}

var _ load.BadSettings = (*DSNError)(nil)
