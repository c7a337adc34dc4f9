// Package render turns one plan.Plan into what people and machines read:
// Text for terminals, JSON for scripts (its shape is documented in
// JSON.md and versioned by format_version), Markdown for the comment a CI
// bot posts on a pull request, and Diff, the fleet state before and
// after the plan as a unified diff. Compare and its renderers (Options
// Change, ChangeText, ChangeMarkdown) show how a pull request changes the
// plan against its base, for plan --base.
//
// Every renderer has the shape
//
//	func(w io.Writer, p *plan.Plan, opts Options) error
//
// and shares one Options; each reads the fields it needs. Renderers only
// read the plan: computing is the planner's job (package plan), so a
// renderer never decides anything a reviewer could not see in the JSON.
// Counts shown (actions, assets, findings by code and level, missing
// patches by severity) are derived from the plan's lists, so that each
// view counts what it lists.
//
// Human output (Text, Markdown, Diff) may change between releases; JSON
// may only grow. Times are shown in UTC. Text abbreviates image digests
// to 12 hex digits, as docker does; Markdown, JSON and Diff show them in
// full, since the reviewed plan pins what will be deployed.
//
// Markdown stays within a size limit (GitHub refuses comments over 65536
// characters) by shortening its lists, never by cutting a table; Diff
// uses go-diff in line mode, asset by asset, so that a plan changing
// 100,000 lines renders in a fraction of a second.
package render
