// Message ids shared by the parts (the seed's names). Each part's task answers X_SYS_PING with
// X_SYS_PONG carrying its part name: the message service's end-to-end check.
export const X_SYS_PING = 0x0001;
export const X_SYS_PONG = 0x0002;
