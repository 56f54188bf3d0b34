package memcheck

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fixture writes files under a fresh root: path -> content.
func fixture(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, text := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const meminfo = "MemTotal:       32768000 kB\nMemFree:         1000000 kB\nMemAvailable:   24088328 kB\nBuffers:          1 kB\n"

func TestAvailable(t *testing.T) {
	for _, c := range []struct {
		name   string
		files  map[string]string
		bytes  uint64
		source string
		ok     bool
	}{
		{"meminfo only", map[string]string{"proc/meminfo": meminfo}, 24088328 << 10, "MemAvailable in /proc/meminfo", true},
		{"no MemAvailable (Linux before 3.14)", map[string]string{"proc/meminfo": "MemTotal: 1 kB\n"}, 0, "", false},
		{"nothing", nil, 0, "", false},
		{"cgroup v2 limit below MemAvailable", map[string]string{"proc/meminfo": meminfo, "proc/self/cgroup": "0::/job\n",
			"sys/fs/cgroup/job/memory.max": "4294967296\n", "sys/fs/cgroup/job/memory.current": "1073741824\n"},
			3 << 30, "the memory limit of cgroup /job", true},
		{"cgroup v2 without a limit", map[string]string{"proc/meminfo": meminfo, "proc/self/cgroup": "0::/\n",
			"sys/fs/cgroup/memory.max": "max\n", "sys/fs/cgroup/memory.current": "5\n"},
			24088328 << 10, "MemAvailable in /proc/meminfo", true},
		{"cgroup v1, container root", map[string]string{"proc/meminfo": meminfo, "proc/self/cgroup": "5:devices:/\n4:cpu,memory:/host/path\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n", "sys/fs/cgroup/memory/memory.usage_in_bytes": "3147483648\n"},
			0, "the memory limit of cgroup /host/path", true},
		{"cgroup v1 unlimited", map[string]string{"proc/meminfo": meminfo, "proc/self/cgroup": "4:memory:/a\n",
			"sys/fs/cgroup/memory/a/memory.limit_in_bytes": "9223372036854771712\n", "sys/fs/cgroup/memory/a/memory.usage_in_bytes": "1\n"},
			24088328 << 10, "MemAvailable in /proc/meminfo", true},
	} {
		b, src, ok := available(fixture(t, c.files))
		if b != c.bytes || src != c.source || ok != c.ok {
			t.Errorf("%s: %d, %q, %v; want %d, %q, %v", c.name, b, src, ok, c.bytes, c.source, c.ok)
		}
	}
	if runtime.GOOS == "linux" {
		if b, src, ok := Available(); !ok || b == 0 {
			t.Errorf("this Linux machine: %d bytes from %q, ok %v", b, src, ok)
		}
	}
}

func TestArithmetic(t *testing.T) {
	max := ^uint64(0)
	for _, c := range []struct{ got, want uint64 }{
		{Mul(1000000, 5610, 256, 2), 2872320000000}, {Mul(1<<32, 1<<32), max}, {Mul(max, 0), 0}, {Mul(), 1},
		{Add(1, 2, 3), 6}, {Add(max, 1), max}, {Add(Mul(1<<40, 1<<30), 5), max},
	} {
		if c.got != c.want {
			t.Errorf("got %d, want %d", c.got, c.want)
		}
	}
	for b, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 24088328 << 10: "23 GiB",
		2872320000000: "2.61 TiB", 1 << 47: "128 TiB", max: "more than 16 EiB"} {
		if got := Size(b); got != want {
			t.Errorf("Size(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	n := Need{Flag: "-sizes 1000000", Bytes: 3 << 40, What: "5,610,000,000 tiles"}
	err := Check(n, 20<<30, "MemAvailable in /proc/meminfo", true)
	if err == nil || err.Error() != "-sizes 1000000: needs 3 TiB (5,610,000,000 tiles), more than the 20 GiB of memory available (MemAvailable in /proc/meminfo)" {
		t.Errorf("over: %v", err)
	}
	if err := Check(n, 3<<40, "x", true); err != nil {
		t.Errorf("exactly what there is: %v", err)
	}
	if err := Check(n, 0, "", false); err != nil {
		t.Errorf("no figure, 3 TiB: %v", err)
	}
	n.Bytes = 1 << 48
	if err := Check(n, 0, "", false); err == nil || !strings.Contains(err.Error(), "more than the 128 TiB of memory available (the address space") {
		t.Errorf("no figure, 256 TiB: %v", err)
	}
}
