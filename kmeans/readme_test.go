package kmeans_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeLibraryExample: the code in the README's "Use as a Go library"
// section is the body of Example in example_test.go, which go test runs,
// so the README's code compiles and gives the output it shows.
func TestReadmeLibraryExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Use as a Go library\n")
	if !ok {
		t.Fatal(`README.md has no "## Use as a Go library" section`)
	}
	_, code, ok := strings.Cut(sec, "```go\n")
	code, _, ok2 := strings.Cut(code, "```\n")
	if !ok || !ok2 {
		t.Fatal("the README's library section has no ```go block")
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "\nfunc Example() {\n")
	body, _, ok = strings.Cut(body, "\t// Output:\n")
	if !ok {
		t.Fatal("example_test.go: no func Example with an Output comment")
	}
	var want strings.Builder
	for _, l := range strings.SplitAfter(body, "\n") {
		want.WriteString(strings.TrimPrefix(l, "\t"))
	}
	if strings.TrimSpace(code) != strings.TrimSpace(want.String()) {
		t.Errorf("the README's Go code differs from the body of Example in kmeans/example_test.go:\n--- README\n%s\n--- Example\n%s", code, want.String())
	}
}
