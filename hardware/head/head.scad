// ApplianceSuite dermatoscope head: a parametric model, rendered to STL by the test command
// (openscad -o head.stl head.scad) and checked as a closed manifold (admesh).
//
// Optics. The Camera Module 3 (IMX708, lens f = 4.74 mm) is focused by the firmware at
// `Capture:LensPosition` dioptres; a close-up lens in front of it brings the focus to the
// skin, at the magnification that puts `field_of_view` millimetres of skin across the sensor.
// Thin lenses in contact: the skin is in focus at 1000 / (close_up + lens_position) mm, and
// the magnification is (close_up + lens_position) / (1000 / focal_length - lens_position).
// The test recomputes these from the parameters and holds them to the firmware's defaults.

// --- Parameters (mm unless said) --------------------------------------------------------
field_of_view = 25.0;          // skin imaged across the frame's width
sensor_width = 6.4512;         // IMX708: 4608 pixels of 1.4 um
focal_length = 4.74;           // Camera Module 3 standard lens
lens_position = 8.0;           // dioptres, the firmware's Capture:LensPosition
close_up = 44.4;               // dioptres of the close-up lens
working_distance = 19.1;       // close-up lens to skin (the contact plate's outer face)
close_up_diameter = 12.5;      // the close-up lens's clear aperture seat
cross_ring_diameter = 28.0;    // LED circle of the cross-polarised ring
plain_ring_diameter = 36.0;    // LED circle of the non-polarised ring
ring_width = 4.0;              // radial width of each ring's PCB seat
plate_diameter = 30.0;         // contact plate (glass, 1 mm)
plate_thickness = 1.0;
wall = 2.0;
body_diameter = 44.0;
camera_board = [25.0, 24.0];   // Camera Module 3 board
camera_holes = [21.0, 12.5];   // M2 hole spacing
camera_depth = 6.0;            // board and lens barrel behind the close-up lens
overview_offset = 36.0;        // overview camera's lens from the head's axis (firmware: Overview:MountOffsetMillimetres)
overview_aim_distance = 300.0; // where its tilted axis crosses the head's (Overview:AimDistanceMillimetres)

$fn = 96;

body_length = camera_depth + working_distance;
// The overview camera leans towards the head's axis so that, pointed at a lesion from 30 cm,
// the lesion is in the middle of its frame (the firmware's OverviewAiming computes the rest).
overview_tilt = atan(overview_offset / overview_aim_distance);
overview_plate = [camera_board[0] + 4, camera_board[1] + 4, 2.0];
overview_z = body_length - 3.5;  // its plate just behind the contact face: the head's body is out of its view

module body() {
    difference() {
        cylinder(d = body_diameter, h = body_length);
        // The light path: open from the close-up lens to the plate.
        translate([0, 0, camera_depth]) cylinder(d = body_diameter - 2 * wall, h = body_length);
        // The close-up lens seat and the camera lens's opening through the back wall.
        translate([0, 0, camera_depth - 1.5]) cylinder(d = close_up_diameter, h = 1.6);
        translate([0, 0, -0.1]) cylinder(d = 8, h = camera_depth);
        // M2 holes for the camera board.
        for (x = [-1, 1], y = [-1, 1])
            translate([x * camera_holes[0] / 2, y * camera_holes[1] / 2, -0.1]) cylinder(d = 2.2, h = camera_depth);
    }
}

// Each ring sits on a ledge in the light path: the cross-polarised one nearer the lens, behind
// its polariser film; the plain one nearer the skin, bare.
// The ledge runs out into the wall, so it is one piece with the body.
module ring_seat(diameter, z) {
    translate([0, 0, z]) difference() {
        cylinder(d = body_diameter - wall, h = 1.2);
        translate([0, 0, -0.1]) cylinder(d = diameter - ring_width, h = 1.4);
    }
}

// The contact plate's recess at the front: a lip holds the glass flush with the face.
module plate_lip() {
    translate([0, 0, body_length - plate_thickness - 1.0]) difference() {
        cylinder(d = body_diameter - 2 * wall + 0.01, h = 1.0);
        translate([0, 0, -0.1]) cylinder(d = plate_diameter - 3, h = 1.2);
    }
}

// The overview camera's plate on an arm from the body's side, its frames' top edge away from
// the axis: a second Camera Module 3 (the Pi 5's second camera port) that sees 20-40 cm, which
// the close-up lens keeps the dermoscopic camera from doing.
module overview_mount() {
    translate([0, overview_offset, overview_z]) rotate([overview_tilt, 0, 0]) difference() {
        translate([-overview_plate[0] / 2, -overview_plate[1] / 2, -overview_plate[2] / 2]) cube(overview_plate);
        cylinder(d = 8, h = overview_plate[2] + 1, center = true);
        for (x = [-1, 1], y = [-1, 1])
            translate([x * camera_holes[0] / 2, y * camera_holes[1] / 2, 0]) cylinder(d = 2.2, h = overview_plate[2] + 1, center = true);
    }
    // The arm: from inside the body's wall to under the plate's near edge.
    arm_start = body_diameter / 2 - wall;
    arm_end = overview_offset - overview_plate[1] / 2 + 5;
    translate([-8, arm_start, overview_z - 5]) cube([16, arm_end - arm_start, 6]);
}

union() {
    body();
    overview_mount();
    ring_seat(cross_ring_diameter, camera_depth + 3);
    ring_seat(plain_ring_diameter, camera_depth + working_distance * 0.55);
    plate_lip();
}
