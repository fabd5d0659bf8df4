package userflow

import (
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
)

// streams declares every stream of the source, in run order: this list is
// the one place a stream is added. Declaring makes no request and needs no
// client, so StreamNames can list them before any is opened.
func (s *source) streams() []*engine.Stream {
	return []*engine.Stream{s.contentSessionsStream(), s.contentStream(), s.usersStream(), s.groupsStream(),
		s.attributeDefinitionsStream(), s.eventDefinitionsStream()}
}

// StreamNames lists the streams the source declares, in order.
func StreamNames() []string {
	return extract.StreamNames((&source{cfg: NewConfig()}).streams())
}
