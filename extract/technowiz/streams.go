package technowiz

import (
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
)

// Stream names.
const (
	StreamUsers    = "users"
	StreamMessages = "messages"
)

// streams declares every stream of the source, in run order: this list is
// the one place a stream is added. Declaring makes no request and needs no
// client, so StreamNames can list them before any is opened.
func (a *api) streams() []*engine.Stream {
	return []*engine.Stream{a.usersStream(), a.messagesStream()}
}

// StreamNames lists the streams the source declares, in order.
func StreamNames() []string {
	return extract.StreamNames((&api{cfg: NewConfig()}).streams())
}
