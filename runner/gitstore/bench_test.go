package gitstore_test

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/runner/gitstore"
)

const benchFiles = 10_000

// benchRepo commits benchFiles small JSON files in 100 folders of 100 and
// returns the working repository and a packed bare clone of it.
func benchRepo(b *testing.B) (loose, packed string) {
	b.Helper()
	needGit(b)
	loose = b.TempDir()
	gitCmd(b, loose, "init", "-q", "-b", "main")
	for i := range benchFiles {
		p := filepath.Join(loose, "assets", fmt.Sprintf("site-%02d", i/100), fmt.Sprintf("host-%05d.json", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
		}
		data := fmt.Sprintf(`{"host-%05d": {"hostname": "host-%05d", "os": {"family": "linux", "name": "debian", "version": "12"}, "packages": {"openssl": "3.0.%d"}}}`+"\n", i, i, i%17)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	gitCmd(b, loose, "add", "-A")
	gitCmd(b, loose, "commit", "-q", "-m", "inventory")
	packed = filepath.Join(b.TempDir(), "packed.git")
	gitCmd(b, loose, "clone", "-q", "--bare", "--no-local", loose, packed)
	return loose, packed
}

// BenchmarkTreeFS reads every file of a 10,000-file tree, the way
// policy.Load reads an inventory, from loose objects (a repository the
// runner has just committed to) and from a pack (a CI clone); and, for
// contrast, one file only, which should cost a few tree reads.
func BenchmarkTreeFS(b *testing.B) {
	loose, packed := benchRepo(b)
	for _, store := range []struct{ name, dir string }{{"loose", loose}, {"packed", packed}} {
		repo, err := gitstore.Open(store.dir)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("ReadAll/"+store.name, func(b *testing.B) {
			for b.Loop() {
				fsys, err := gitstore.TreeFS(repo, "HEAD", "assets")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					_, err = fs.ReadFile(fsys, p)
					n++
					return err
				})
				if err != nil || n != benchFiles {
					b.Fatalf("read %d files: %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchFiles), "ns/file")
		})
		b.Run("ReadOne/"+store.name, func(b *testing.B) {
			for b.Loop() {
				fsys, err := gitstore.TreeFS(repo, "HEAD", "")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fs.ReadFile(fsys, "assets/site-42/host-04242.json"); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The go-git way, for comparison: walk the whole tree with its
		// file iterator.
		b.Run("GoGitFilesIter/"+store.name, func(b *testing.B) {
			for b.Loop() {
				head, err := repo.Head()
				if err != nil {
					b.Fatal(err)
				}
				c, err := repo.CommitObject(head.Hash())
				if err != nil {
					b.Fatal(err)
				}
				files, err := c.Files()
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				err = files.ForEach(func(f *object.File) error {
					r, err := f.Reader()
					if err != nil {
						return err
					}
					defer r.Close()
					_, err = io.ReadAll(r)
					n++
					return err
				})
				if err != nil || n != benchFiles {
					b.Fatalf("read %d files: %v", n, err)
				}
			}
		})
	}
}
