package policy

import (
	"crypto/sha1"
	"encoding/hex"
	"io/fs"
	"path"
	"strconv"
	"sync"
)

// Cache keeps inventory files (assets/*.json, *.yaml) decoded and checked,
// by content, between loads in one process: `plan --base` loads the same
// inventory twice, once from the working tree and once from git. Only files
// without problems are kept. The key is the git blob hash of the content,
// which a git tree knows without reading the file (see GitBlobHasher).
//
// Assets from the cache are shared between the repositories that load them:
// they must not be changed after Load, and an asset's Source names the file
// as the first load saw it. A Cache is safe for concurrent use.
//
// It also keeps the last repository loaded, whose group members a load of
// the same assets takes for groups defined the same.
type Cache struct {
	mu    sync.Mutex
	files map[string]*cachedFile
	last  *Repository
}

type cachedFile struct {
	sha256 string
	assets []rawAsset
}

// GitBlobHasher is implemented by the fs.DirEntry, or the
// fs.FileInfo.Sys() value, of file systems that know the git blob hash of
// a file without reading it.
type GitBlobHasher interface {
	GitBlobHash() string
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{files: map[string]*cachedFile{}} }

func (c *Cache) get(key string) *cachedFile {
	if c == nil || key == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.files[key]
}

func (c *Cache) put(key string, f *cachedFile) {
	if c == nil || key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[key] = f
}

// lastLoaded returns the repository loaded last with this cache, or nil.
func (c *Cache) lastLoaded() *Repository {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// loaded records r, whose members are computed, as the last repository.
func (c *Cache) loaded(r *Repository) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = r
}

// gitBlobHash is the hash git gives a file's content.
func gitBlobHash(data []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// isInventory tells the files the cache keeps.
func isInventory(p string) bool { return path.Ext(p) != ".cue" }

// knownBlobHash returns the git blob hash a file system gives for an
// entry, if it does.
func knownBlobHash(d fs.DirEntry) string {
	if h, ok := d.(GitBlobHasher); ok {
		return h.GitBlobHash()
	}
	info, err := d.Info()
	if err != nil {
		return ""
	}
	if h, ok := info.Sys().(GitBlobHasher); ok {
		return h.GitBlobHash()
	}
	return ""
}
