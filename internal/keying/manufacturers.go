package keying

// Confidence grades a manufacturer row (keying.md §7).
type Confidence string

// Confidence grades.
const (
	High       Confidence = "high"       // two or more agreeing sources
	Single     Confidence = "single"     // one source
	Unverified Confidence = "unverified" // a weak source or none
	Conflict   Confidence = "conflict"   // sources disagree
)

// Manufacturer is one key section of the published spec table. Spec holds
// the usual pin count; unknown members are zero and Note says so.
type Manufacturer struct {
	Name        string
	Pins        []int // pin counts offered
	Spec        Spec
	Modeled     bool    // false: the math here does not describe this lock (Medeco sidebar)
	IncrementIn float64 // 0 when unverified
	// RootDepthsIn maps depth → root depth in inches; nil when unpublished.
	RootDepthsIn map[int]float64
	Confidence   Confidence
	Note         string
}

// linearRoots lists root depths from a reference root and increment.
func linearRoots(from, to int, refDepth int, refRoot, inc float64) map[int]float64 {
	m := make(map[int]float64, to-from+1)
	for d := from; d <= to; d++ {
		v, _ := RootDepths(Dimensions{ReferenceDepth: refDepth, ReferenceRootIn: refRoot, IncrementIn: inc, MaxDepth: to},
			Bitting{int8(d)})
		m[d] = v[0]
	}
	return m
}

// Manufacturers returns the manufacturer spec table of keying.md §7, freshly
// built so callers may change it. No manufacturer limit on master pins was
// verified: those limits are site policy.
func Manufacturers() []Manufacturer {
	return []Manufacturer{
		{
			Name: "Schlage Classic / Everest (SC1 5-pin, SC4 6-pin)", Pins: []int{5, 6},
			Spec:    Spec{Name: "schlage_sc4", Positions: 6, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 2, MinMasterPin: 2},
			Modeled: true, IncrementIn: .015, RootDepthsIn: linearRoots(0, 9, 0, .335, .015),
			Confidence: High,
			Note:       "two-step; 4,096 6-pin TPP changes. Schlage Everest service manual; bgraydon/keyspace README and depth table; Mr. Locksmith MACS video; lockpicking101. Spacing .231/.156 unverified",
		},
		{
			Name: "Kwikset KW1 (KW10 6-pin)", Pins: []int{5, 6},
			Spec:    Spec{Name: "kwikset_kw1", Positions: 5, MinDepth: 1, MaxDepth: 6, MACS: 4, Step: 1, MinMasterPin: 1},
			Modeled: true, IncrementIn: .023, RootDepthsIn: linearRoots(1, 7, 1, .329, .023),
			Confidence: High,
			Note:       "one-step; depth #7 only in master-keyed cylinders. Lockwiki \"Kwikset Classic\"; keyspace README; commercial-locksmith.com. Spacing .247/.150",
		},
		{
			Name: "Best A2 SFIC", Pins: []int{7, 6},
			Spec:    Spec{Name: "best_a2", Positions: 7, MinDepth: 0, MaxDepth: 9, MACS: 9, Step: 2, MinMasterPin: 2},
			Modeled: true, IncrementIn: .0125,
			Confidence: High,
			Note:       "two-step, always; MACS 9 means no adjacent pair of 0-9 can fail. ALOA Keynotes Sep 2016 fig. 11; keyspace README; Kaba/Best 5402 manual (stack 23)",
		},
		{
			Name: "Best A3 SFIC (discontinued)", Pins: []int{7, 6},
			Spec:    Spec{Name: "best_a3", Positions: 7, MACS: 6, Step: 1},
			Modeled: true, IncrementIn: .018,
			Confidence: Single,
			Note:       "one-step; depths unverified (Spec depths left zero). ALOA Keynotes Sep 2016",
		},
		{
			Name: "Best A4 SFIC", Pins: []int{7, 6},
			Spec:    Spec{Name: "best_a4", Positions: 7, MinDepth: 0, MaxDepth: 5, MACS: 5, Step: 1, MinMasterPin: 1},
			Modeled: true, IncrementIn: .021,
			Confidence: High,
			Note:       "one-step. ALOA Keynotes Sep 2016; keyspace README",
		},
		{
			Name: "Sargent conventional", Pins: []int{6, 5},
			Spec:    Spec{Name: "sargent", Positions: 6, MinDepth: 1, MaxDepth: 10, MACS: 7, Step: 2, MinMasterPin: 2},
			Modeled: true, IncrementIn: .020, RootDepthsIn: linearRoots(1, 10, 1, .330, .020),
			Confidence: Single,
			Note:       "depths 1-10, 10 stamped 0; two-step follows from the increment (ALOA). keyspace README and table; depth labels of the root table unverified",
		},
		{
			Name: "Yale conventional", Pins: []int{5, 6},
			Spec:    Spec{Name: "yale", Positions: 6, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 2, MinMasterPin: 2},
			Modeled: true, IncrementIn: .019, RootDepthsIn: linearRoots(0, 9, 0, .320, .019),
			Confidence: Single,
			Note:       "progression unverified: two-step expected below .023\". keyspace README and table",
		},
		{
			Name: "Corbin Russwin System 70", Pins: []int{6, 5, 7},
			Spec:    Spec{Name: "corbin_russwin_s70", Positions: 6, MinDepth: 1, MaxDepth: 6, MACS: 4, Step: 1, MinMasterPin: 1},
			Modeled: true, IncrementIn: .028, RootDepthsIn: linearRoots(1, 6, 1, .339, .028),
			Confidence: Conflict,
			Note:       "one-step; MACS 4 (locksafesystems.com) vs 7 (keyspace): the stricter 4 is used. Spacing .250/.156",
		},
		{
			Name: "Arrow", Pins: []int{5, 6},
			Spec:    Spec{Name: "arrow", Positions: 6, MinDepth: 0, MaxDepth: 9, MACS: 7, Step: 2, MinMasterPin: 2},
			Modeled: true, IncrementIn: .014, RootDepthsIn: linearRoots(0, 9, 0, .312, .014),
			Confidence: Single,
			Note:       "two-step. gbppr.net lock tips; sac.user.atomicradi.us pin sizes. Spacing .265/.155 unverified",
		},
		{
			Name: "Medeco (original, Biaxial)", Pins: []int{5, 6},
			Spec:       Spec{Name: "medeco", Positions: 6, MinDepth: 1, MaxDepth: 6},
			Modeled:    false,
			Confidence: Single,
			Note:       "MACS 2-4 depends on adjacent cut angles; increment unverified; sidebar and angled pins not modeled. keyspace README",
		},
	}
}
