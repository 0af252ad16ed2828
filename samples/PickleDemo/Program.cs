// The pickling demo of the talk "Stackless: Recent advancements and future goals" (demo/pickledtasklet.py):
// run 1 ("save FILE") starts a tasklet that recurses nine levels deep and sends "hi" from the bottom; the demo tasklet
// receives it and pickles the recursing tasklet, suspended nine calls deep, to FILE; the original then finishes.
// Run 2 ("load FILE"), a new process, loads the tasklet and resumes it where it stopped: it leaves the nine levels.
using Stackless.Emu;
using Stackless.Emu.Samples.PickleDemo;

var mode = args.Length > 0 ? args[0] : "save";
var file = args.Length > 1 ? args[1] : "tasklet.pickle";
switch (mode)
{
    case "save":
        Tasklet.Spawn(() => PickledTasklet.Demo(9, file));
        break;
    case "load":
        var tasklet = Tasklet.Load(File.ReadAllBytes(file), new PickleOptions().AllowAssemblyOf<PickledTasklet.Marker>());
        tasklet.Insert();
        break;
    default:
        Console.Error.WriteLine("usage: PickleDemo save FILE | load FILE");
        return 2;
}

Scheduler.Run();
return 0;
