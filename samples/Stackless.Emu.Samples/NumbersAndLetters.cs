using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>The survey's schedule() example: two tasklets interleaving with <c>Schedule</c>.</summary>
internal static class NumbersAndLetters
{
    public static void Run(TextWriter output)
    {
        Tasklet.Spawn(async () =>
        {
            foreach (var number in new[] { 0, 1, 2 })
            {
                output.Write($"{number} ");
                await Scheduler.ScheduleAsync();
            }
        });
        Tasklet.Spawn(async () =>
        {
            foreach (var letter in new[] { 'A', 'B', 'C' })
            {
                output.Write($"{letter} ");
                await Scheduler.ScheduleAsync();
            }
        });

        Scheduler.Run();
        output.WriteLine();
    }
}
