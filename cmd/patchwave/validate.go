package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/policy"
)

type validateOptions struct {
	format *enumValue
}

func newValidateCmd(g *globalOptions, s streams) *cobra.Command {
	o := &validateOptions{format: newEnum("text", "text", "json")}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the repository: schema, references, policy rules",
		Long: `Loads every *.cue file below --dir (except state/ and audit/) and the
inventory in assets/*.json and assets/*.yaml, and checks them against the
schema, the references between them (groups, patches, windows, drivers,
assets) and the policy rules (approval authority, exceptions, the canary
rule, empty stages). Every problem is listed as file:line:col: message.

Examples:
  patchwave validate --dir examples/quickstart
  patchwave validate --format json --at 2026-12-01

Exit codes: 0 valid (warnings allowed); 1 invalid; 3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := g.now()
			if err != nil {
				return err
			}
			repo, probs, err := policy.LoadDir(cmd.Context(), g.dir, policy.Options{Now: now})
			if err != nil {
				return err
			}
			if o.format.value == "json" {
				err = writeProblemsJSON(s.out, repo, probs)
			} else {
				err = writeProblemsText(s.out, g.dir, repo, probs)
			}
			if err != nil {
				return err
			}
			if probs.HasErrors() {
				return &exitError{code: exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().Var(o.format, "format", "output format")
	return cmd
}

func writeProblemsText(w io.Writer, dir string, repo *policy.Repository, probs policy.Problems) error {
	for _, p := range probs {
		if _, err := fmt.Fprintln(w, p); err != nil {
			return err
		}
	}
	errs, warns := probs.Count()
	verdict := "valid"
	if errs > 0 {
		verdict = "invalid"
	}
	_, err := fmt.Fprintf(w, "%s: %s: %d assets, %d groups, %d patches, %d waves, %d rollbacks; %d errors, %d warnings\n",
		dir, verdict, len(repo.Assets), len(repo.Groups), len(repo.Patches), len(repo.Waves), len(repo.Rollbacks), errs, warns)
	return err
}

// validateJSON is the stable shape of `validate --format json`.
type validateJSON struct {
	FormatVersion int             `json:"format_version"`
	Valid         bool            `json:"valid"`
	Errors        int             `json:"errors"`
	Warnings      int             `json:"warnings"`
	Counts        map[string]int  `json:"counts"`
	Problems      policy.Problems `json:"problems"`
}

func writeProblemsJSON(w io.Writer, repo *policy.Repository, probs policy.Problems) error {
	errs, warns := probs.Count()
	if probs == nil {
		probs = policy.Problems{}
	}
	out := validateJSON{FormatVersion: 1, Valid: errs == 0, Errors: errs, Warnings: warns, Problems: probs,
		Counts: map[string]int{"assets": len(repo.Assets), "groups": len(repo.Groups), "patches": len(repo.Patches),
			"waves": len(repo.Waves), "rollbacks": len(repo.Rollbacks)}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
