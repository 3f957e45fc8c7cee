package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/locksim"
	"github.com/keyward/keyward/internal/locksync"
)

func (e *env) locksimCommand() *cobra.Command {
	var n int
	var broker, prefix, z2mBase string
	var zigbee bool
	c := &cobra.Command{
		Use:   "locksim --locks N --broker URL [--zigbee2mqtt]",
		Short: "Run simulated locks for tests, demos and load",
		Long: `Runs N simulated locks against an MQTT broker until SIGINT or SIGTERM. The
locks are added to the database named by --data or --db (as "Simulated lock 001",
…) unless they are there already, so Keyward sends them their codes. Each lock
subscribes, applies its desired state, acknowledges it, checks PINs and offline
codes, and reports who opened it. With --zigbee2mqtt they are Zigbee locks that
speak zigbee2mqtt's topics and payloads (devices sim_lock_001, …).

Commands for one lock go to locksim/<lock>/control (the lock id, or the device
name): offline, online, "pin 123456", "key K-17". See docs/lock-sync.md.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 5000 {
				return errors.New("--locks must be 1 to 5000")
			}
			if broker == "" {
				broker = envOr(e.getenv, "KEYWARD_MQTT_URL", "tcp://127.0.0.1:1883")
			}
			return status(e.locksim(n, broker, prefix, z2mBase, zigbee))
		},
	}
	c.Flags().IntVar(&n, "locks", 10, "how many simulated locks")
	c.Flags().StringVar(&broker, "broker", "", "MQTT broker, tcp://HOST:PORT (env KEYWARD_MQTT_URL, default tcp://127.0.0.1:1883)")
	c.Flags().BoolVar(&zigbee, "zigbee2mqtt", false, "simulate Zigbee locks paired to zigbee2mqtt")
	c.Flags().StringVar(&prefix, "prefix", "keyward/locks", "Keyward's lock topic prefix")
	c.Flags().StringVar(&z2mBase, "z2m-base", "zigbee2mqtt", "zigbee2mqtt's base topic")
	return c
}

func (e *env) locksim(n int, broker, prefix, z2mBase string, zigbee bool) int {
	ctx, stop := signal.NotifyContext(e.ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, v, err := e.openSealing()
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	ls := db.LockSync(v)
	actor := keyward.SystemActor("locksim")
	existing, err := ls.SyncLocks(ctx, actor, db.Now())
	if err != nil {
		return e.fail(err)
	}
	byName := map[string]keyward.SyncLock{}
	for _, l := range existing {
		byName[l.Name] = l
	}
	var cfgs []locksim.LockConfig
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("Simulated lock %03d", i)
		in := keyward.SyncLockInput{Name: name, Adapter: locksync.NativeName}
		if zigbee {
			name = fmt.Sprintf("Simulated Zigbee lock %03d", i)
			in = keyward.SyncLockInput{Name: name, Adapter: locksync.Z2MName, Device: fmt.Sprintf("sim_lock_%03d", i)}
		}
		l, ok := byName[name]
		if !ok {
			added, err := ls.AddSyncLock(ctx, actor, in)
			if err != nil {
				return e.fail(err)
			}
			l = *added
		}
		if zigbee {
			cfgs = append(cfgs, locksim.LockConfig{Device: l.Device})
			continue
		}
		sec, err := ls.LockSecret(ctx, actor, l.ID)
		if err != nil {
			return e.fail(err)
		}
		raw, _ := hex.DecodeString(sec.Reveal())
		cfgs = append(cfgs, locksim.LockConfig{ID: l.ID, Secret: raw})
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	sim, err := locksim.Start(ctx, locksim.Config{Broker: broker, Prefix: prefix, Z2MBase: z2mBase, Locks: cfgs, Log: log})
	if err != nil {
		return e.fail(err)
	}
	defer sim.Close()
	var names []string
	for _, l := range sim.Locks() {
		names = append(names, l.Name())
	}
	fmt.Fprintf(e.stdout, "%d simulated locks on %s: %s\nCommands: locksim/<lock>/control (offline, online, \"pin 123456\", \"key K-17\"). Ctrl-C stops.\n",
		len(names), broker, strings.Join(names, ", "))
	<-ctx.Done()
	return 0
}
