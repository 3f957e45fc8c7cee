// Package keying is Keyward's mechanical master-keying math: key section specs,
// MACS, progression (TPP, RCM, key systems with standard symbols), pinning,
// operating sets, lost-key impact, lost-key rekey planning (PlanRekey) and the
// cross-key audit.
//
// The contract is shared/spec/keying.md. The package is pure: no I/O, no
// clock, no state between calls. Generating functions refuse with
// too_many_keys before allocating anything proportional to the key count.
//
// Errors are *Error values whose Rule and members match the contract, so a
// transport can put them on the wire unchanged. Checks run in the contract's
// three stages (shape, bittings, verb rules) and only the first failure is
// returned.
package keying
