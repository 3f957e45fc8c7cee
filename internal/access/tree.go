package access

// Member is one key of a group with every lock it may open and why.
type Member struct {
	Key     Key
	Reaches []Decision
}

// Tree is one group as its master or backup sees it: the master, its
// backups, its sub and soft keys, each with the locks it reaches and the
// reason; the locks the group owns; the locks other groups granted its
// master. SingleKey flags a group that only one live master or backup can
// manage: losing that key orphans its locks.
type Tree struct {
	Group     string
	Master    Member
	Backups   []Member
	Subs      []Member // sub and soft keys
	Locks     []string // owned by the group
	Granted   []string // granted to the master by other groups
	SingleKey bool
}

// Tree returns the group founded by master groupID; RuleUnknownKey if there
// is no such group.
func (m *Model) Tree(groupID string) (Tree, error) {
	g := m.groups[groupID]
	if g == nil {
		return Tree{}, &Refusal{Rule: RuleUnknownKey, Key: groupID}
	}
	member := func(k *key) Member {
		mem := Member{Key: Key{ID: k.id, Kind: k.kind, Group: g.id, Deleted: k.deleted}, Reaches: []Decision{}}
		for _, lid := range m.reaches(k) {
			d, _ := m.Can(k.id, lid)
			mem.Reaches = append(mem.Reaches, d)
		}
		return mem
	}
	t := Tree{Group: g.id, Master: member(g.master), Backups: []Member{}, Subs: []Member{},
		Locks: sortedSet(g.locks), Granted: sortedSet(g.master.grants)}
	live := 0
	if !g.master.deleted {
		live++
	}
	for _, id := range sortedKeys(g.backups) {
		t.Backups = append(t.Backups, member(g.backups[id]))
		if !g.backups[id].deleted {
			live++
		}
	}
	for _, id := range sortedKeys(g.subs) {
		t.Subs = append(t.Subs, member(g.subs[id]))
	}
	t.SingleKey = live == 1
	return t, nil
}
