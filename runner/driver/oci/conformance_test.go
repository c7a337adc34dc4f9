package oci

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
)

// harness gives each case a ref that starts at image A, with image B
// already pushed (untagged) into the ref's repository. ref returns a new,
// distinct deployment reference for each case.
func harness(ref func(t *testing.T) string) drivertest.Harness {
	return drivertest.Harness{
		Driver: func(t *testing.T) driver.Driver { return newDriver(t, Options{}) },
		Target: func(t *testing.T) drivertest.Case {
			r := ref(t)
			a := push(t, r, randomImage(t))
			repo := r[:len(r)-len(":prod")]
			b := pushByDigest(t, repo, randomImage(t))
			return drivertest.Case{
				Target:  imageAsset(r, r, a),
				Start:   driver.Observation{Digest: a},
				Changes: imageChange(r, a, b),
				Inspect: func(t *testing.T) driver.Observation {
					return driver.Observation{Digest: headDigest(t, r)}
				},
			}
		},
		Parallel: 4,
	}
}

// TestConformance runs the driver suite against go-containerregistry's
// in-process registry, one registry per case, each asset at
// "<host>/shop/api:prod".
func TestConformance(t *testing.T) {
	drivertest.Run(t, harness(func(t *testing.T) string {
		return newRegistry(t) + "/shop/api:prod"
	}))
}

// TestConformanceRealRegistry runs the suite against the distribution
// registry (github.com/distribution/distribution/v3/cmd/registry), which
// .ci/run installs: the in-process registry is lenient where real ones are
// not. It looks for $PATCHWAVE_TEST_REGISTRY, then registry and
// docker-registry (Debian's package) on PATH and in GOPATH/bin. It skips
// when none is found, except under CI, where it fails.
func TestConformanceRealRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not starting a registry server")
	}
	bin := findRegistry()
	if bin == "" {
		msg := "no registry server found: set PATCHWAVE_TEST_REGISTRY or `go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2`"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set, so this is a failure: .ci/run installs it)")
		}
		t.Skip(msg)
	}
	host := startRegistry(t, bin)
	var n atomic.Int64
	drivertest.Run(t, harness(func(t *testing.T) string {
		return fmt.Sprintf("%s/shop/api-%02d:prod", host, n.Add(1))
	}))
}

func findRegistry() string {
	if p := os.Getenv("PATCHWAVE_TEST_REGISTRY"); p != "" {
		return p
	}
	for _, name := range []string{"registry", "docker-registry"} {
		if p, err := osexec.LookPath(name); err == nil {
			return p
		}
		p := filepath.Join(build.Default.GOPATH, "bin", name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// startRegistry runs bin on 127.0.0.1 with filesystem storage in a
// temporary folder, waits until /v2/ answers, and stops it at cleanup.
func startRegistry(t *testing.T, bin string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yml")
	err = os.WriteFile(config, fmt.Appendf(nil, `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command(bin, "serve", config)
	// Tracing would try to export to a collector that is not there.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("registry output:\n%s", out.String())
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it answered: %v\n%s", bin, err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s/v2/ within 30s\n%s", bin, addr, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("registry %s on %s: %s", bin, addr, version(bin))
	return addr
}

func version(bin string) string {
	b, _ := osexec.Command(bin, "--version").CombinedOutput()
	line, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
	return string(line)
}

// syncBuffer is a bytes.Buffer the registry's two outputs share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
