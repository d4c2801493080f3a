package chat

import (
	"errors"
	"fmt"
)

// State is who owns a conversation. Exactly one owner at a time: the bot,
// the queue (escalated, waiting for a person), an agent, or nobody (resolved).
type State string

// Conversation states.
const (
	StateBot      State = "bot"
	StateQueued   State = "queued"
	StateAgent    State = "agent"
	StateResolved State = "resolved"
)

// Action is something that may move a conversation between states.
type Action string

// Events of the state machine.
const (
	ActionShopperMessage Action = "shopper_message" // reopens a resolved conversation
	ActionEscalate       Action = "escalate"        // the bot or the shopper asks for a person
	ActionClaim          Action = "claim"           // an agent takes the conversation
	ActionTransfer       Action = "transfer"        // an agent hands it to another agent
	ActionHandback       Action = "handback"        // back to the bot
	ActionResolve        Action = "resolve"
)

// ErrTransition means the event is not allowed in the conversation's state.
var ErrTransition = errors.New("not allowed in this state")

// ErrClaimed means another agent owns the conversation.
var ErrClaimed = errors.New("already claimed by another agent")

// transitions is the whole state machine. An event missing from a state's
// row is refused. Escalating an already escalated conversation changes
// nothing, so nothing can loop.
var transitions = map[State]map[Action]State{
	StateBot: {
		ActionShopperMessage: StateBot,
		ActionEscalate:       StateQueued,
		ActionClaim:          StateAgent, // an agent may step in before escalation
		ActionResolve:        StateResolved,
	},
	StateQueued: {
		ActionShopperMessage: StateQueued,
		ActionEscalate:       StateQueued,
		ActionClaim:          StateAgent,
		ActionHandback:       StateBot,
		ActionResolve:        StateResolved,
	},
	StateAgent: {
		ActionShopperMessage: StateAgent,
		ActionEscalate:       StateAgent,
		ActionTransfer:       StateAgent,
		ActionHandback:       StateBot,
		ActionResolve:        StateResolved,
	},
	StateResolved: {
		ActionShopperMessage: StateBot,
		ActionEscalate:       StateQueued,
	},
}

// Next returns the state after act in state from, or ErrTransition.
func Next(from State, act Action) (State, error) {
	to, ok := transitions[from][act]
	if !ok {
		return from, fmt.Errorf("%s a %s conversation: %w", act, from, ErrTransition)
	}
	return to, nil
}
