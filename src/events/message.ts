/** A queue message: an event to deliver to every endpoint subscribed to it, or to one (a redelivery). */
export interface EventMessage {
  event: string;
  endpoint?: string;
}
