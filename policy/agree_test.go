package policy

import (
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"

	"github.com/patchwave/patchwave/schemas"
)

// The Go checks of an asset (checkAsset) must accept exactly what #Asset
// in schemas/definitions.cue accepts: the schema is the contract that the
// cue tool checks, the Go twin is what makes 100k assets fast.
func TestAssetChecksAgreeWithCUE(t *testing.T) {
	t.Parallel()
	ctx := cuecontext.New()
	inst := build.NewContext().NewInstance("", nil)
	data, err := schemas.FS.ReadFile("definitions.cue")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile("definitions.cue", data)
	if err != nil {
		t.Fatal(err)
	}
	inst.AddSyntax(f)
	def := ctx.BuildInstance(inst).LookupPath(cue.ParsePath("#Asset"))
	if err := def.Err(); err != nil {
		t.Fatal(err)
	}
	d := `"sha256:` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"`
	for _, tc := range []struct {
		json  string
		valid bool
	}{
		{`{}`, true},
		{`{"hostname": "h", "location": "eu", "owner": "o", "driver": "d"}`, true},
		{`{"ip": "10.0.0.1"}`, true},
		{`{"ip": "2001:db8::1"}`, true},
		{`{"ip": ["10.0.0.1", "2001:db8::1"]}`, true},
		{`{"ip": []}`, true},
		{`{"ip": "10.0.0.256"}`, false},
		{`{"ip": "10.0.0"}`, false},
		{`{"ip": ["10.0.0.1", "x"]}`, false},
		{`{"ip": "10.0.0.0/8"}`, false},
		{`{"ip": 10}`, false},
		{`{"mac": "52:54:00:12:34:56"}`, true},
		{`{"mac": "52-54-00-12-34-56"}`, true},
		{`{"mac": ["52:54:00:12:34:56", "52:54:00:12:34:57"]}`, true},
		{`{"mac": "52:54:00:12:34"}`, false},
		{`{"mac": "52:54:00:12:34:5g"}`, false},
		{`{"os": {"family": "linux", "name": "debian", "version": "12"}}`, true},
		{`{"os": {"name": "rhel", "version": 9.4}}`, true},
		{`{"os": {"name": "windows-server", "family": "windows"}}`, true},
		{`{"os": {}}`, true},
		{`{"os": {"family": "linux"}}`, true},
		{`{"os": {"name": "Debian"}}`, false},
		{`{"os": {"name": "debian", "family": "bsd"}}`, false},
		{`{"os": {"name": "debian", "arch": "amd64"}}`, false},
		{`{"os": {"name": "debian", "version": true}}`, false},
		{`{"revision": "12.11"}`, true},
		{`{"revision": 20261120}`, true},
		{`{"revision": ["x"]}`, false},
		{`{"kind": "host"}`, true},
		{`{"kind": "image", "image": {"ref": "r/x:prod"}}`, true},
		{`{"kind": "image", "image": {"ref": "r/x:prod", "digest": ` + d + `}}`, true},
		{`{"image": {"ref": "r/x:prod"}}`, true},
		{`{"kind": "image"}`, false},
		{`{"kind": "container"}`, false},
		{`{"image": {}}`, false},
		{`{"image": {"ref": ""}}`, false},
		{`{"image": {"ref": "r", "digest": "sha256:abc"}}`, false},
		{`{"image": {"ref": "r", "tag": "x"}}`, false},
		{`{"criticality": "critical", "exposure": "internet"}`, true},
		{`{"criticality": "urgent"}`, false},
		{`{"exposure": "public"}`, false},
		{`{"data": ["pii", "pci"]}`, true},
		{`{"data": "pii"}`, false},
		{`{"tags": {"ring": "canary", "env": "prod"}}`, true},
		{`{"tags": {"ring": 1}}`, false},
		{`{"packages": {"openssl": "3.0.17-1~deb12u3"}}`, true},
		{`{"packages": {"openssl": ""}}`, false},
		{`{"packages": {"openssl": 3}}`, false},
		{`{"driver": 1}`, false},
		{`{"critcality": "high"}`, false},
	} {
		cueValid := def.Unify(ctx.CompileString(tc.json)).Validate(cue.Concrete(true)) == nil
		a := &Asset{ID: "a"}
		loc := jsonLocator{f: &sourceFile{display: "a.json", data: []byte(tc.json)}}
		var rep report
		if p := decodeAsset(a, []byte(tc.json), loc); p != nil {
			rep.list = append(rep.list, *p)
		} else {
			checkAsset(a, loc, &rep)
		}
		goValid := len(rep.list) == 0
		if cueValid != tc.valid || goValid != tc.valid {
			t.Errorf("%s: cue valid=%v, go valid=%v, want %v; go problems: %v", tc.json, cueValid, goValid, tc.valid, rep.list)
		}
	}
}
