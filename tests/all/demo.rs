//! The demo world a new server is seeded with, played through the real `scripts/` typeclasses
//! as a player's lines arrive (`player_input`: character, room, then what is in it): exits and
//! their aliases, items picked up, carried, dropped and given, looking, speaking, posing, and
//! the cat that wanders on its timer and answers a greeting.

use std::sync::Arc;
use std::time::Duration;

use crate::TestWorld;
use wasmud::world::{ManualClock, Puppeting};
use wasmud::{ObjectId, WorldOptions};

/// The texts delivered by one line `who` typed, as (recipient, text).
fn play(t: &mut TestWorld, who: ObjectId, line: &str) -> Vec<(ObjectId, String)> {
    t.w().take_deliveries();
    let handled = t.w().player_input(who, line).expect(line);
    assert!(handled, "{line:?} was not handled");
    t.w()
        .take_deliveries()
        .into_iter()
        .map(|d| (d.to, d.text))
        .collect()
}

/// What `who` alone was told.
fn told(got: &[(ObjectId, String)], who: ObjectId) -> Vec<&str> {
    got.iter()
        .filter(|(to, _)| *to == who)
        .map(|(_, text)| text.as_str())
        .collect()
}

fn seeded(clock: &ManualClock) -> (TestWorld, wasmud::seed::Seeded) {
    let mut t = TestWorld::with_options(WorldOptions {
        clock: Arc::new(clock.clone()),
        ..WorldOptions::default()
    });
    let seeded = wasmud::seed::seed_if_empty(t.w()).unwrap().expect("seeded");
    (t, seeded)
}

#[test]
fn a_player_walks_the_demo_world_and_carries_things() {
    let clock = ManualClock::new(1_700_000_000_000);
    let (mut t, s) = seeded(&clock);
    let ann = t.w().create("Ann", "character", Some(s.limbo)).unwrap();

    let look = play(&mut t, ann, "l");
    let room = told(&look, ann)[0];
    assert!(
        room.starts_with("|cLimbo|n\n|wA featureless grey void."),
        "{room}"
    );
    assert!(room.contains("|wExits:|n |geast|n"), "{room}");
    assert!(room.contains("|wYou see:|n Guest and Whiskers."), "{room}");

    // Exits by name, by alias and with `go`; the guest left behind sees Ann go.
    let walk = play(&mut t, ann, "e");
    assert_eq!(told(&walk, s.guest), ["Ann leaves east."]);
    assert!(told(&walk, ann)[0].starts_with("|cTavern|n"), "{walk:?}");
    play(&mut t, ann, "go garden");
    assert_eq!(t.w().location(ann).unwrap(), Some(s.garden));
    let nowhere = play(&mut t, ann, "go up");
    assert_eq!(told(&nowhere, ann), ["You cannot go up from here."]);

    // Items: by a word of the key or an alias; only items can be taken.
    assert_eq!(
        told(&play(&mut t, ann, "get lamp"), ann),
        ["You pick up a brass lantern."]
    );
    assert_eq!(t.w().location(s.lantern).unwrap(), Some(ann));
    assert_eq!(
        told(&play(&mut t, ann, "get south"), ann),
        ["You cannot pick up south."]
    );
    assert_eq!(
        told(&play(&mut t, ann, "get a"), ann),
        ["You see no a here."],
        "an article names nothing"
    );
    play(&mut t, ann, "take rose");
    assert_eq!(
        told(&play(&mut t, ann, "i"), ann),
        ["You are carrying: a brass lantern and a red rose."]
    );
    let lantern = play(&mut t, ann, "look lantern");
    assert!(told(&lantern, ann)[0].starts_with("|ca brass lantern|n\nAn old brass lantern."));
    assert_eq!(
        told(&play(&mut t, ann, "drop rose"), ann),
        ["You drop a red rose."]
    );
    assert_eq!(t.w().location(ann).unwrap(), Some(s.garden));
    assert_eq!(t.w().contents(ann).unwrap(), vec![s.lantern]);

    // Giving: back to Limbo, where the guest is, and the guest gets the lantern.
    play(&mut t, ann, "s");
    play(&mut t, ann, "west");
    let give = play(&mut t, ann, "give lantern to guest");
    assert_eq!(told(&give, ann), ["You give a brass lantern to Guest."]);
    assert_eq!(told(&give, s.guest), ["Ann gives you a brass lantern."]);
    assert_eq!(t.w().location(s.lantern).unwrap(), Some(s.guest));
    assert_eq!(
        told(&play(&mut t, ann, "give lantern to guest"), ann),
        ["You are not carrying lantern."]
    );
    let them = play(&mut t, ann, "look guest");
    assert!(
        told(&them, ann)[0].ends_with("Carrying: a brass lantern."),
        "{them:?}"
    );

    // A description of one's own, seen by others.
    assert_eq!(
        told(
            &play(&mut t, ann, "setdesc A tall woman in a grey cloak."),
            ann
        ),
        ["Your description is set."]
    );
    let seen = play(&mut t, s.guest, "look ann");
    assert_eq!(
        told(&seen, s.guest),
        ["|cAnn|n\nA tall woman in a grey cloak."]
    );

    // Help: one aligned column of commands.
    let help = play(&mut t, ann, "help");
    let help = told(&help, ann)[0];
    assert!(help.starts_with("|wCommands|n\n"), "{help}");
    assert!(
        help.contains("\n  |wlook (l) [thing]      |n look around")
            && help.contains("\n  |wquit                  |n leave"),
        "{help}"
    );

    // Things persist: the world reopens with everything where it was left.
    t.restart();
    assert_eq!(t.w().location(ann).unwrap(), Some(s.limbo));
    assert_eq!(t.w().location(s.lantern).unwrap(), Some(s.guest));
}

#[test]
fn speech_poses_and_the_cat_that_answers_and_wanders() {
    let clock = ManualClock::new(1_700_000_000_000);
    let (mut t, s) = seeded(&clock);
    let ann = t.w().create("Ann", "character", Some(s.limbo)).unwrap();

    let said = play(&mut t, ann, "say nice weather");
    assert_eq!(told(&said, ann), ["You say, \"nice weather\""]);
    assert_eq!(told(&said, s.guest), ["Ann says, \"nice weather\""]);
    let posed = play(&mut t, ann, ":waves.");
    assert_eq!(told(&posed, ann), ["Ann waves."]);
    assert_eq!(told(&posed, s.guest), ["Ann waves."]);

    // The cat answers a greeting (said with the `"` shortcut), after the speech.
    let hello = play(&mut t, ann, "\"Hello, Whiskers!");
    let to_ann = told(&hello, ann);
    assert_eq!(to_ann[0], "You say, \"Hello, Whiskers!\"");
    assert_eq!(to_ann.len(), 2, "{hello:?}");
    assert!(
        to_ann[1].starts_with("Whiskers ") && to_ann[1].contains("Ann"),
        "{hello:?}"
    );
    assert_eq!(told(&hello, s.guest).len(), 2);

    // It walks its route on its timer: Limbo, tavern, garden, tavern, Limbo; and Ginger, its
    // Python twin, walks the garden and the tavern on its own.
    let ginger = t.w().search("Ginger").unwrap()[0];
    assert_eq!(t.w().typeclass(ginger).unwrap(), "pywanderer");
    assert_eq!(t.w().location(ginger).unwrap(), Some(s.garden));
    let walks = [
        (s.tavern, s.tavern),
        (s.garden, s.garden),
        (s.tavern, s.tavern),
        (s.limbo, s.garden),
    ];
    for (room, ginger_room) in walks {
        clock.advance(Duration::from_secs(20));
        let mut fired = 0;
        while t.w().fire_due_timer().is_some() {
            fired += 1;
        }
        assert_eq!(fired, 2, "both cats' timers");
        assert_eq!(t.w().location(s.cat).unwrap(), Some(room));
        assert_eq!(t.w().location(ginger).unwrap(), Some(ginger_room));
    }
}

#[test]
fn the_puppet_hooks_tell_the_room_when_a_player_arrives_and_leaves() {
    let clock = ManualClock::new(1_700_000_000_000);
    let (mut t, s) = seeded(&clock);
    let ann = t.w().create("Ann", "character", Some(s.limbo)).unwrap();
    t.w().take_deliveries();
    t.w().puppet_hook(ann, Puppeting::Arrived);
    let got = t.w().take_deliveries();
    let to_guest: Vec<&str> = got
        .iter()
        .filter(|d| d.to == s.guest)
        .map(|d| d.text.as_str())
        .collect();
    assert_eq!(to_guest, ["Ann wakes up."]);
    t.w().puppet_hook(ann, Puppeting::Left);
    let got = t.w().take_deliveries();
    assert!(
        got.iter()
            .any(|d| d.to == s.guest && d.text == "Ann falls asleep."),
        "{got:?}"
    );
}
