package testsupport

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeTool runs tools/<dir>/query.mjs with node, stdin as its input and args after the script,
// within QueryTimeout. The test is skipped (failed under CI) when node or the tool's package
// (tools/<dir>/node_modules/<module>, installed by make test) is missing. It returns stdout,
// and the exit error with stderr's text when the tool failed.
func nodeTool(t testing.TB, dir, module, what string, stdin []byte, args ...string) ([]byte, string, error) {
	t.Helper()
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "tools", dir, "node_modules", filepath.FromSlash(module))); err != nil {
		unavailable(t, what+" not installed (tools/"+dir+"/node_modules missing): run tests with make test")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node not found in PATH: "+what+" checks need Node.js 20")
	}
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(root, "tools", dir, "query.mjs")}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.Bytes(), strings.TrimSpace(stderr.String()), err
}
