// Package audit writes and reads the audit records the runner commits
// under audit/ (SPEC §4): one JSON file per stage run or rollback, holding
// the wave, stage, plan digest, policy commit, approvers, actor, start and
// end, and per asset what it ran before and after, the result, the error
// and how long it took.
//
// Records form a hash chain: each names the sha256 of the previous
// record's file, so that a record changed, removed or reordered after its
// commit breaks the chain (audit verify). Files are named
// audit/YYYY/MM/DD/NNNNNN-WAVE-STAGE.json, NNNNNN being the record's
// sequence number, so that paths sort in the order records were written.
package audit
