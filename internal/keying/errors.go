package keying

import "fmt"

// Rule names a rejection reason; the values are the wire names of the contract.
type Rule string

// Rules of a rejected request (keying.md §4).
const (
	RuleBadInput                    Rule = "bad_input"
	RuleBadBitting                  Rule = "bad_bitting"
	RuleBittingDepthOutOfRange      Rule = "bitting_depth_out_of_range"
	RuleTMKMACS                     Rule = "tmk_macs"
	RuleEmptySequence               Rule = "empty_sequence"
	RuleSequencePositionOutOfRange  Rule = "sequence_position_out_of_range"
	RuleSequenceDuplicatePosition   Rule = "sequence_duplicate_position"
	RuleColumnNotInSequence         Rule = "column_not_in_sequence"
	RuleProgressionContainsTMKDepth Rule = "progression_contains_tmk_depth"
	RuleDepthOutOfRange             Rule = "depth_out_of_range"
	RuleParity                      Rule = "parity"
	RuleMasterPinBelowMinimum       Rule = "master_pin_below_minimum"
	RuleDuplicateDepth              Rule = "duplicate_depth"
	RuleEmptyColumn                 Rule = "empty_column"
	RuleTooManyConstants            Rule = "too_many_constants"
	RuleTooManySymbols              Rule = "too_many_symbols"
	RuleTooManyKeys                 Rule = "too_many_keys"
	RuleNoKeys                      Rule = "no_keys"
	RuleDuplicateID                 Rule = "duplicate_id"
	RuleSFICStack                   Rule = "sfic_stack"
)

// Rules that appear inside a pinning result (warnings and errors), not as rejections.
const (
	RuleTooManyMasterPins      Rule = "too_many_master_pins"
	RuleTooManyMasterPinsTotal Rule = "too_many_master_pins_total"
)

// Error is a rejected request. Only the members the contract lists for Rule
// are meaningful; the others are zero.
type Error struct {
	Rule      Rule
	Field     string // input path: "spec.macs", "keys[2]", "cylinders[0].keys"; "" is the whole document
	Position  int    // 1-based chamber, or the offending sequence value
	Positions [2]int // tmk_macs: the first failing adjacent pair
	Depth     int
	Count     int64 // saturates at math.MaxInt64
	Maximum   int64
	Constants int
	Level     string
	ID        string
}

func (e *Error) Error() string {
	switch e.Rule {
	case RuleBadInput:
		if e.Field == "" {
			return "the input is not one JSON object"
		}
		return fmt.Sprintf("%s is missing or not allowed", e.Field)
	case RuleBadBitting:
		return fmt.Sprintf("%s is not a bitting of the right length", e.Field)
	case RuleBittingDepthOutOfRange:
		return fmt.Sprintf("%s: depth %d at position %d is outside the spec", e.Field, e.Depth, e.Position)
	case RuleTMKMACS:
		return fmt.Sprintf("the TMK fails MACS between positions %d and %d", e.Positions[0], e.Positions[1])
	case RuleEmptySequence:
		return fmt.Sprintf("%s is empty", e.Field)
	case RuleSequencePositionOutOfRange:
		return fmt.Sprintf("%s: position %d does not exist", e.Field, e.Position)
	case RuleSequenceDuplicatePosition:
		return fmt.Sprintf("%s: position %d is listed twice", e.Field, e.Position)
	case RuleColumnNotInSequence:
		return fmt.Sprintf("a column is given for position %d, which is not progressed", e.Position)
	case RuleProgressionContainsTMKDepth:
		return fmt.Sprintf("the column of position %d contains the TMK cut %d", e.Position, e.Depth)
	case RuleDepthOutOfRange:
		return fmt.Sprintf("the column of position %d has depth %d outside the spec", e.Position, e.Depth)
	case RuleParity:
		return fmt.Sprintf("the column of position %d has depth %d off the TMK cut's step", e.Position, e.Depth)
	case RuleMasterPinBelowMinimum:
		return fmt.Sprintf("the column of position %d has depth %d too close to the TMK cut", e.Position, e.Depth)
	case RuleDuplicateDepth:
		return fmt.Sprintf("the column of position %d lists depth %d twice", e.Position, e.Depth)
	case RuleEmptyColumn:
		return fmt.Sprintf("position %d has no depth to progress", e.Position)
	case RuleTooManyConstants:
		return fmt.Sprintf("%d constants, at most %d", e.Constants, e.Maximum)
	case RuleTooManySymbols:
		return fmt.Sprintf("%d %s keys under one parent, at most %d", e.Count, e.Level, e.Maximum)
	case RuleTooManyKeys:
		return fmt.Sprintf("%d keys, at most %d", e.Count, e.Maximum)
	case RuleNoKeys:
		return fmt.Sprintf("%s is empty", e.Field)
	case RuleDuplicateID:
		return fmt.Sprintf("cylinder id %q is used twice", e.ID)
	case RuleSFICStack:
		return fmt.Sprintf("the SFIC stack at position %d needs a pin shorter than 1", e.Position)
	}
	return string(e.Rule)
}

func badInput(field string) *Error { return &Error{Rule: RuleBadInput, Field: field} }
