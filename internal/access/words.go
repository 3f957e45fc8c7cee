package access

import "fmt"

// Words says a refusal in plain words for a person. keyName and lockName
// turn ids into the names people know; they return "" for an id they do not
// know, which the sentence then leaves out.
func (r *Refusal) Words(keyName, lockName func(string) string) string {
	k, l := quoted(keyName(r.Key)), quoted(lockName(r.Lock))
	switch r.Rule {
	case RuleUnknownKey:
		return fmt.Sprintf("There is no key%s, or it has been deleted.", k)
	case RuleUnknownLock:
		return fmt.Sprintf("There is no lock%s.", l)
	case RuleSubCannotManage:
		return fmt.Sprintf("Key%s is a sub key: it opens only the locks it was given, and cannot make keys, serialize, grant, revoke or delete. Use the master key or a backup key.", k)
	case RuleDuplicateID:
		if r.Lock != "" {
			return fmt.Sprintf("A lock%s already exists: choose another name.", l)
		}
		return fmt.Sprintf("A key%s already exists (a deleted key keeps its name): choose another name.", k)
	case RuleLockOwned:
		return fmt.Sprintf("Lock%s is already serialized to a master. Its own master or a backup must unserialize it first.", l)
	case RuleNotOwner:
		if r.Lock != "" {
			return fmt.Sprintf("Lock%s does not belong to this master's group. Only the master that owns a lock, or its backups, may give it out or take it back; a lock granted to a master cannot be passed on.", l)
		}
		return fmt.Sprintf("Key%s belongs to another master's group.", k)
	case RuleGrantTarget:
		return fmt.Sprintf("A lock can be given only to a sub or soft key of this group or to the master of another group, not to key%s (a backup already opens every lock of its group).", k)
	case RuleNotGranted:
		return fmt.Sprintf("Key%s was not given lock%s, so there is nothing to take back.", k, l)
	case RuleSelf:
		return fmt.Sprintf("Key%s cannot delete itself. A lost master is deleted with one of its backup keys.", k)
	case RuleUnknownOp:
		return "That is not something a network key can do."
	}
	return string(r.Rule)
}

func quoted(name string) string {
	if name == "" {
		return ""
	}
	return " “" + name + "”"
}
