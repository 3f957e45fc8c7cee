package keyward

// spareWords are the sentences of vehicle spares: never more of an ID than
// its type and last four characters.
func spareWords() map[string]auditEntry {
	return map[string]auditEntry{
		"vehicle.vin": {"Vehicle VIN recorded", func(s *sentence) {
			s.text("recorded " + s.or("vin", "the VIN") + " as the VIN of vehicle ")
			s.subject(RefOpening)
			if s.str("vin_check_digit") != "" {
				s.text(" (its check digit does not match)")
			}
		}},
		"spare.request": {"Vehicle spare requested", func(s *sentence) {
			s.text("asked for a spare key of vehicle ")
			s.refd(RefOpening, "opening_id")
			s.text(" for ")
			s.refd(RefHolder, "holder_id")
			s.quoted("note")
		}},
		"spare.proof": {"Vehicle spare proof checked", func(s *sentence) {
			s.text("checked the proof for a spare of vehicle ")
			s.refd(RefOpening, "opening_id")
			if s.str("relationship") == RelAgent {
				s.text(": the owner's letter and the agent's ID")
			} else {
				s.text(": the registered owner's ID and registration document")
			}
		}},
		"spare.produce": {"Vehicle spare cut", func(s *sentence) {
			s.text("cut spare key ")
			s.refd(RefKey, "key_id")
			s.text(" for vehicle ")
			s.refd(RefOpening, "opening_id")
		}},
		"spare.enroll": {"Vehicle spare enrolled", func(s *sentence) {
			s.text("recorded the transponder of spare key ")
			s.refd(RefKey, "key_id")
			s.text(" enrolled in vehicle ")
			s.refd(RefOpening, "opening_id")
			s.text(" with " + s.or("tool", "a tool") + " on " + s.or("date", "a day"))
		}},
		"spare.test": {"Vehicle spare tested", func(s *sentence) {
			yn := func(f string) string {
				if s.flag(f) {
					return "yes"
				}
				return "no"
			}
			s.text("tested spare key ")
			s.refd(RefKey, "key_id")
			s.text(" on vehicle ")
			s.refd(RefOpening, "opening_id")
			s.text(": starts it " + yn("starts_vehicle") + ", opens the door " + yn("opens_door"))
			s.quoted("note")
		}},
		"spare.hand_over": {"Vehicle spare handed over", func(s *sentence) {
			s.text("handed spare key ")
			s.refd(RefKey, "key_id")
			s.text(" of vehicle ")
			s.refd(RefOpening, "opening_id")
			s.text(" over to ")
			s.refd(RefHolder, "holder_id")
			s.quoted("note")
		}},
		"vehicle.reenroll": {"Vehicle keys re-enrolled (answer)", func(s *sentence) {
			if s.str("answer") == ReenrolledYes {
				s.text("recorded that the remaining keys of vehicle ")
			} else {
				s.text("recorded that the remaining keys were not yet re-enrolled in vehicle ")
			}
			s.refd(RefOpening, "opening_id")
			if s.str("answer") == ReenrolledYes {
				s.text(" were re-enrolled")
			}
			s.text(" after key ")
			s.subject(RefKey)
			s.text(" was lost")
			s.quoted("note")
		}},
	}
}
