package policy

import (
	"encoding/json"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"github.com/ProtonMail/go-crypto/openpgp"
)

// The raw shapes of configuration entries, as the schema's JSON. CUE has
// already checked types, enumerations and formats; decoding turns strings
// into typed values, and the checks in check.go look at references.

type rawWindow struct {
	Days     []string `json:"days"`
	Start    string   `json:"start"`
	Duration string   `json:"duration"`
	Timezone string   `json:"timezone"`
}

type rawFreeze struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Reason string   `json:"reason"`
	Allow  []string `json:"allow"`
}

type rawException struct {
	Asset      string   `json:"asset"`
	Patch      string   `json:"patch"`
	Reason     string   `json:"reason"`
	ApprovedBy []string `json:"approved_by"`
	Expires    string   `json:"expires"`
}

type rawGroup struct {
	Match *struct {
		Tags map[string]StringList `json:"tags"`
		OS   struct {
			Family  StringList `json:"family"`
			Name    StringList `json:"name"`
			Version StringList `json:"version"`
		} `json:"os"`
		Location    StringList `json:"location"`
		Criticality StringList `json:"criticality"`
		Exposure    StringList `json:"exposure"`
		Kind        StringList `json:"kind"`
	} `json:"match"`
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

type rawPatch struct {
	Severity string            `json:"severity"`
	Released string            `json:"released"`
	CVEs     []string          `json:"cves"`
	Summary  string            `json:"summary"`
	Advisory string            `json:"advisory"`
	Reboot   bool              `json:"reboot"`
	Packages map[string]string `json:"packages"`
	OS       struct {
		Family  StringList `json:"family"`
		Name    StringList `json:"name"`
		Version StringList `json:"version"`
	} `json:"os"`
	Image *struct {
		Repository string `json:"repository"`
		Digest     string `json:"digest"`
		Tag        string `json:"tag"`
	} `json:"image"`
}

type rawWave struct {
	Patches    []string   `json:"patches"`
	Stages     []rawStage `json:"stages"`
	ApprovedBy []string   `json:"approved_by"`
	Emergency  bool       `json:"emergency"`
	NotBefore  string     `json:"not_before"`
	Reason     string     `json:"reason"`
}

type rawStage struct {
	Name        string   `json:"name"`
	Groups      []string `json:"groups"`
	MaxParallel any      `json:"max_parallel"`
	MaxFailures any      `json:"max_failures"`
	Soak        string   `json:"soak"`
	Window      string   `json:"window"`
	Reboot      string   `json:"reboot"`
	OnFailure   string   `json:"on_failure"`
}

type rawRollback struct {
	Wave       string   `json:"wave"`
	Stages     []string `json:"stages"`
	Assets     []string `json:"assets"`
	Reason     string   `json:"reason"`
	ApprovedBy []string `json:"approved_by"`
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// decodeConfig fills the repository from the evaluated configuration.
func (l *loader) decodeConfig(v cue.Value) {
	r := l.repo
	r.Groups, r.Patches, r.Waves, r.Rollbacks = map[string]*Group{}, map[string]*Patch{}, map[string]*Wave{}, map[string]*Rollback{}
	pv := v.LookupPath(cue.ParsePath("policy"))
	l.decodePolicy(pv)

	l.decodeSection(v.LookupPath(cue.ParsePath("groups")), "groups", func(name string, data []byte, loc locator, complete bool) {
		var g rawGroup
		if !l.decodeInto(data, loc, "group "+name, &g) {
			return
		}
		grp := &Group{Name: name, Include: g.Include, Exclude: g.Exclude}
		if m := g.Match; m != nil {
			grp.Match = &Match{OSFamily: m.OS.Family, OSName: m.OS.Name, OSVersion: m.OS.Version,
				Location: m.Location, Criticality: m.Criticality, Exposure: m.Exposure, Kind: m.Kind}
			if len(m.Tags) > 0 {
				grp.Match.Tags = map[string][]string{}
				for k, vals := range m.Tags {
					grp.Match.Tags[k] = vals
				}
			}
		}
		r.Groups[name] = grp
	})

	l.decodeSection(v.LookupPath(cue.ParsePath("patches")), "patches", func(name string, data []byte, loc locator, complete bool) {
		var p rawPatch
		if !l.decodeInto(data, loc, "patch "+name, &p) {
			return
		}
		patch := &Patch{ID: name, Severity: Severity(p.Severity), CVEs: p.CVEs, Summary: p.Summary,
			Advisory: p.Advisory, Reboot: p.Reboot, Packages: p.Packages,
			OS: PatchOS{Family: p.OS.Family, Name: p.OS.Name, Version: p.OS.Version}}
		patch.Released = l.parseTime(p.Released, loc, "released")
		if p.Image != nil {
			patch.Image = &ImageTarget{Repository: p.Image.Repository, Digest: p.Image.Digest, Tag: p.Image.Tag}
		}
		switch {
		case !complete: // what is missing may be what CUE rejected
		case p.Packages == nil && p.Image == nil:
			l.rep.errorf(loc.pos(), "patch-target", "patch %q has no target: set packages (name -> fixed version) for hosts, or image (repository and digest or tag) for images", name)
		case p.Packages != nil && p.Image != nil:
			l.rep.errorf(loc.pos("image"), "patch-target", "patch %q sets both packages and image: a patch targets hosts or images, not both", name)
		case p.Image != nil && p.Image.Digest == "" && p.Image.Tag == "":
			l.rep.errorf(loc.pos("image"), "patch-target", "patch %q: image needs a digest or a tag", name)
		}
		r.Patches[name] = patch
	})

	l.decodeSection(v.LookupPath(cue.ParsePath("waves")), "waves", func(name string, data []byte, loc locator, complete bool) {
		var w rawWave
		if !l.decodeInto(data, loc, "wave "+name, &w) {
			return
		}
		wave := &Wave{Name: name, Patches: w.Patches, ApprovedBy: w.ApprovedBy, Emergency: w.Emergency, Reason: w.Reason}
		if w.NotBefore != "" {
			wave.NotBefore = l.parseTime(w.NotBefore, loc, "not_before")
		}
		for i, s := range w.Stages {
			st := &Stage{Name: s.Name, Groups: s.Groups, Window: s.Window, Reboot: s.Reboot, OnFailure: s.OnFailure}
			st.MaxParallel = l.parseAmount(s.MaxParallel, loc, "stages", i, "max_parallel")
			st.MaxFailures = l.parseAmount(s.MaxFailures, loc, "stages", i, "max_failures")
			if s.MaxParallel != nil && st.MaxParallel == (Amount{}) {
				l.rep.errorf(loc.pos("stages", i, "max_parallel"), "schema", "wave %q stage %q: max_parallel must be at least 1", name, s.Name)
			}
			st.Soak = l.parseDuration(s.Soak, loc, "stages", i, "soak")
			wave.Stages = append(wave.Stages, st)
		}
		r.Waves[name] = wave
	})

	l.decodeSection(v.LookupPath(cue.ParsePath("rollbacks")), "rollbacks", func(name string, data []byte, loc locator, complete bool) {
		var rb rawRollback
		if l.decodeInto(data, loc, "rollback "+name, &rb) {
			r.Rollbacks[name] = &Rollback{Name: name, Wave: rb.Wave, Stages: rb.Stages, Assets: rb.Assets, Reason: rb.Reason, ApprovedBy: rb.ApprovedBy}
		}
	})
}

func (l *loader) decodePolicy(pv cue.Value) {
	p := &l.repo.Policy
	p.Branch = "main"
	loc := valueLocator{pv}
	field := func(name string) (cue.Value, []byte, bool) {
		fv := pv.LookupPath(cue.MakePath(cue.Str(name)))
		if !fv.Exists() {
			return fv, nil, false
		}
		data, _, ok := bestEffort(fv)
		return fv, data, ok
	}
	if _, data, ok := field("branch"); ok {
		l.decodeInto(data, loc, "policy.branch", &p.Branch)
	}
	if _, data, ok := field("trusted_keys"); ok && l.decodeInto(data, loc, "policy.trusted_keys", &p.TrustedKeys) {
		for i, k := range p.TrustedKeys {
			if _, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k)); err != nil {
				l.rep.errorf(loc.pos("trusted_keys", i), "schema", "policy.trusted_keys[%d]: not an ASCII-armored OpenPGP public key: %v", i, err)
			}
		}
	}
	if _, data, ok := field("authority"); ok {
		var auth map[Severity][]string
		if l.decodeInto(data, loc, "policy.authority", &auth) {
			p.Authority = auth
		}
	}
	if _, data, ok := field("sla"); ok {
		var sla map[Severity]string
		if l.decodeInto(data, loc, "policy.sla", &sla) {
			p.SLA = map[Severity]time.Duration{}
			for sev, d := range sla {
				p.SLA[sev] = l.parseDuration(d, loc, "sla", string(sev))
			}
		}
	}
	if fv, data, ok := field("canary"); ok {
		p.Canary = l.decodeCanary(data, valueLocator{fv})
	}
	if fv, _, _ := field("freezes"); fv.Exists() {
		l.eachElement(fv, func(i int, data []byte, eloc locator) {
			var f rawFreeze
			if !l.decodeInto(data, eloc, "policy.freezes", &f) {
				return
			}
			fr := Freeze{Reason: f.Reason, From: l.parseTime(f.From, eloc, "from"), To: l.parseTime(f.To, eloc, "to")}
			for _, s := range f.Allow {
				fr.Allow = append(fr.Allow, Severity(s))
			}
			if !fr.From.IsZero() && !fr.To.IsZero() && !fr.To.After(fr.From) {
				l.rep.errorf(eloc.pos("to"), "freeze-range", "policy.freezes[%d]: to (%s) must be after from (%s)", i, f.To, f.From)
			}
			p.Freezes = append(p.Freezes, fr)
		})
	}
	if fv, _, _ := field("exceptions"); fv.Exists() {
		l.eachElement(fv, func(i int, data []byte, eloc locator) {
			var e rawException
			if !l.decodeInto(data, eloc, "policy.exceptions", &e) {
				return
			}
			p.Exceptions = append(p.Exceptions, Exception{Asset: e.Asset, Patch: e.Patch, Reason: e.Reason,
				ApprovedBy: e.ApprovedBy, Expires: l.parseTime(e.Expires, eloc, "expires")})
			l.exceptionLocs = append(l.exceptionLocs, eloc)
		})
	}
	p.Windows = map[string]*Window{}
	l.decodeSection(pv.LookupPath(cue.ParsePath("windows")), "windows", func(name string, data []byte, wloc locator, _ bool) {
		var w rawWindow
		if !l.decodeInto(data, wloc, "policy.windows."+name, &w) {
			return
		}
		win := &Window{Name: name, Duration: l.parseDuration(w.Duration, wloc, "duration")}
		for _, d := range w.Days {
			win.Days = append(win.Days, weekdays[d])
		}
		start, err := ParseClock(w.Start)
		if err != nil && w.Start != "" {
			l.rep.errorf(wloc.pos("start"), "schema", "policy.windows.%s.start: %v", name, err)
		}
		win.Start = start
		if w.Duration != "" && (win.Duration <= 0 || win.Duration > 7*24*time.Hour) {
			l.rep.errorf(wloc.pos("duration"), "window-duration", "policy.windows.%s.duration: %q must be more than 0 and at most 7d", name, w.Duration)
		}
		loc, err := time.LoadLocation(w.Timezone)
		if w.Timezone != "" && (err != nil || w.Timezone == "Local") {
			l.rep.errorf(wloc.pos("timezone"), "unknown-timezone", "policy.windows.%s.timezone: unknown time zone %q (want an IANA name such as \"Europe/Berlin\" or \"UTC\")", name, w.Timezone)
			loc = time.UTC
		}
		win.Location = loc
		p.Windows[name] = win
	})
	p.Drivers = map[string]Driver{}
	l.decodeSection(pv.LookupPath(cue.ParsePath("drivers")), "drivers", func(name string, data []byte, dloc locator, _ bool) {
		var settings map[string]any
		if l.decodeInto(data, dloc, "policy.drivers."+name, &settings) {
			typ, _ := settings["type"].(string)
			p.Drivers[name] = Driver{Name: name, Type: typ, Settings: settings}
		}
	})
	l.policyLoc = loc
}

// eachElement decodes each valid element of a list value.
func (l *loader) eachElement(v cue.Value, fn func(i int, data []byte, loc locator)) {
	it, err := v.List()
	if err != nil {
		return
	}
	for i := 0; it.Next(); i++ {
		if data, _, ok := bestEffort(it.Value()); ok {
			fn(i, data, valueLocator{it.Value()})
		}
	}
}

func (l *loader) decodeCanary(data []byte, loc locator) *Canary {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	if obj, ok := v.(map[string]any); ok {
		c := &Canary{}
		if n, ok := obj["max_assets"].(float64); ok {
			c.MaxAssets = int(n)
		}
		if s, ok := obj["max_percent"]; ok {
			a := l.parseAmount(s, loc, "max_percent")
			c.MaxPercent, c.HasPercent = a.Percent, true
		}
		if m, ok := obj["max"]; ok {
			c.add(l.parseAmount(m, loc, "max"))
		}
		return c
	}
	c := &Canary{}
	c.add(l.parseAmount(v, loc))
	return c
}

// add tightens the rule by an amount: the lower count or share wins.
func (c *Canary) add(a Amount) {
	switch {
	case a.IsPercent && (!c.HasPercent || a.Percent < c.MaxPercent):
		c.MaxPercent, c.HasPercent = a.Percent, true
	case !a.IsPercent && a.Count > 0 && (c.MaxAssets == 0 || a.Count < c.MaxAssets):
		c.MaxAssets = a.Count
	}
}

// parseTime, parseDuration and parseAmount report values that CUE let
// through but Go cannot read; an absent value is CUE's to report.
func (l *loader) parseTime(s string, loc locator, path ...any) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := ParseTime(s)
	if err != nil {
		l.rep.errorf(loc.pos(path...), "schema", "%s: %v", pathString(path), err)
	}
	return t
}

func (l *loader) parseDuration(s string, loc locator, path ...any) time.Duration {
	if s == "" {
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		l.rep.errorf(loc.pos(path...), "schema", "%s: %v", pathString(path), err)
	}
	return d
}

func (l *loader) parseAmount(v any, loc locator, path ...any) Amount {
	if v == nil {
		return Amount{}
	}
	a, err := ParseAmount(v)
	if err != nil {
		l.rep.errorf(loc.pos(path...), "schema", "%s: %v", pathString(path), err)
	}
	return a
}

// configAssets returns the assets that CUE evaluated with the configuration.
func (l *loader) configAssets() []rawAsset {
	var out []rawAsset
	it, err := l.config.LookupPath(cue.ParsePath("assets")).Fields()
	if err != nil {
		return nil
	}
	for it.Next() {
		av := it.Value()
		loc := valueLocator{av}
		a := &Asset{ID: it.Selector().Unquoted(), Source: loc.pos()}
		data, ok := concrete(av)
		if !ok {
			// CUE has reported its errors; keep what is valid, so that
			// group membership and references do not add more.
			if data, _, ok := bestEffort(av); ok {
				_ = json.Unmarshal(data, a) // best effort by design
			}
			applyDefaults(a)
			out = append(out, rawAsset{asset: a, loc: loc})
			continue
		}
		out = append(out, newRawAsset(a, loc, decodeAsset(a, data, loc), &l.rep))
	}
	return out
}
