package testsupport

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is the ClickHouse cluster scripts/with-cluster.sh starts for
// `make test-cluster`: ZooKeeper and 2 shards x 2 replicas.
type Cluster struct {
	Name  string
	DSNs  []string // shard-major: s1r1, s1r2, s2r1, s2r2
	nodes []string // their directories (start.sh, pid)
	zk    string
}

// ZooKeeper stands for the cluster's ZooKeeper in Kill9 and Restart.
const ZooKeeper = -1

// ClusterEnv reads the cluster from the environment; it fails the test (no
// skip) when the cluster is not there: only make test-cluster runs these.
func ClusterEnv(t testing.TB) Cluster {
	t.Helper()
	c := Cluster{Name: os.Getenv("CLICKHOUSE_CLUSTER"), zk: os.Getenv("CLICKHOUSE_CLUSTER_ZK")}
	if v := os.Getenv("CLICKHOUSE_CLUSTER_DSNS"); v != "" {
		c.DSNs = strings.Split(v, ",")
	}
	if v := os.Getenv("CLICKHOUSE_CLUSTER_NODES"); v != "" {
		c.nodes = strings.Split(v, ",")
	}
	if c.Name == "" || len(c.DSNs) != 4 || len(c.nodes) != 4 || c.zk == "" {
		t.Fatal("cluster tests need the cluster of scripts/with-cluster.sh: run make test-cluster")
	}
	return c
}

// DSN is node i's DSN for database db.
func (c Cluster) DSN(t testing.TB, i int, db string) string {
	u, err := url.Parse(c.DSNs[i])
	if err != nil {
		t.Fatalf("testsupport: parse %s: %v", c.DSNs[i], err)
	}
	u.Path = "/" + db
	return u.String()
}

// Addr is node i's host:port.
func (c Cluster) Addr(i int) string {
	u, _ := url.Parse(c.DSNs[i])
	return u.Host
}

// FreshDB is a database name of this test, dropped from every node after it
// (restarting a node a test left down).
func (c Cluster) FreshDB(t testing.TB) string {
	name := databaseName(t.Name())
	t.Cleanup(func() {
		for i := range c.DSNs {
			if !alive(c.pid(t, c.nodes[i])) {
				c.Restart(t, i)
			}
			_, _ = c.Query(i, "default", "DROP DATABASE IF EXISTS "+name)
		}
	})
	return name
}

// Query runs q (statements on separate lines, ; between) on node i with
// clickhouse-client and returns its TSV output.
func (c Cluster) Query(i int, db, q string) (string, error) {
	u, err := url.Parse(c.DSNs[i])
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "clickhouse-client", "--host", u.Hostname(), "--port", u.Port(), "--database", db, "--multiquery", "-q", q).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s on node %d: %w: %s", q, i, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// MustQuery is Query failing the test on an error.
func (c Cluster) MustQuery(t testing.TB, i int, db, q string) string {
	t.Helper()
	out, err := c.Query(i, db, q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c Cluster) dir(i int) string {
	if i == ZooKeeper {
		return c.zk
	}
	return c.nodes[i]
}

func (c Cluster) pid(t testing.TB, dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("testsupport: pid file of %s: %v", dir, err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// Kill9 kills node i (or ZooKeeper) with SIGKILL and waits until it is gone.
func (c Cluster) Kill9(t testing.TB, i int) {
	pid := c.pid(t, c.dir(i))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("testsupport: kill -9 %d: %v", pid, err)
	}
	for k := 0; k < 200 && alive(pid); k++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart starts node i (or ZooKeeper) with its start.sh, which records the
// new PID where scripts/with-cluster.sh stops it, and waits until it answers.
func (c Cluster) Restart(t testing.TB, i int) {
	if out, err := exec.Command("bash", filepath.Join(c.dir(i), "start.sh")).CombinedOutput(); err != nil {
		t.Fatalf("testsupport: restart %s: %v: %s", c.dir(i), err, out)
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		if i == ZooKeeper {
			_, err = c.Query(0, "default", "SELECT count() FROM system.zookeeper WHERE path = '/'")
		} else {
			_, err = c.Query(i, "default", "SELECT 1")
		}
		if err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("testsupport: %s did not answer within 90s of its restart", c.dir(i))
}
