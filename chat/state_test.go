package chat

import (
	"errors"
	"testing"
)

func TestNext(t *testing.T) {
	all := []Action{ActionShopperMessage, ActionEscalate, ActionClaim, ActionTransfer, ActionHandback, ActionResolve}
	want := map[State]map[Action]State{
		StateBot:      {ActionShopperMessage: StateBot, ActionEscalate: StateQueued, ActionClaim: StateAgent, ActionResolve: StateResolved},
		StateQueued:   {ActionShopperMessage: StateQueued, ActionEscalate: StateQueued, ActionClaim: StateAgent, ActionHandback: StateBot, ActionResolve: StateResolved},
		StateAgent:    {ActionShopperMessage: StateAgent, ActionEscalate: StateAgent, ActionTransfer: StateAgent, ActionHandback: StateBot, ActionResolve: StateResolved},
		StateResolved: {ActionShopperMessage: StateBot, ActionEscalate: StateQueued},
	}
	for from, row := range want {
		for _, ev := range all {
			got, err := Next(from, ev)
			to, allowed := row[ev]
			switch {
			case allowed && (err != nil || got != to):
				t.Errorf("Next(%s, %s) = %s, %v; want %s", from, ev, got, err, to)
			case !allowed && !errors.Is(err, ErrTransition):
				t.Errorf("Next(%s, %s) = %s, %v; want ErrTransition", from, ev, got, err)
			}
		}
	}
}
