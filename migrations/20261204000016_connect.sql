-- The Connect page: the values from which caretaker writes the team's ssh config entry
-- and browser proxy settings for reaching it through an SSH SOCKS5 tunnel. One row.
CREATE TABLE connect_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The name of the ssh config entry (`Host`), like caretaker-socks.
    host_alias TEXT NOT NULL,
    -- The bastion ssh connects to (`HostName`), optionally with :PORT.
    bastion TEXT NOT NULL,
    ssh_user TEXT NOT NULL,
    -- Optional hosts passed through before the bastion (`ProxyJump`), '' when none.
    jump_host TEXT NOT NULL DEFAULT '',
    second_jump_host TEXT NOT NULL DEFAULT '',
    -- The local port of the SOCKS5 proxy (`DynamicForward`).
    socks_port INTEGER NOT NULL,
    -- caretaker's address inside the private network, like http://10.0.1.5:3000.
    private_url TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
