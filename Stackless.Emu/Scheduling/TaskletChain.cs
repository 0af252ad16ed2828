using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// Circular doubly linked chains of tasklets through <see cref="Tasklet.NextLink"/> and
/// <see cref="Tasklet.PrevLink"/>, as in Stackless: the scheduler's runnable chain and each
/// channel's queue. Invariant: a tasklet is in at most one chain; outside a chain both links are null.
/// </summary>
internal static class TaskletChain
{
    /// <summary>Appends <paramref name="tasklet"/> at the end of the chain whose head is <paramref name="head"/>.</summary>
    public static void Append(ref Tasklet? head, Tasklet tasklet)
    {
        Debug.Assert(tasklet.NextLink is null && tasklet.PrevLink is null, "a tasklet is in at most one chain");
        if (head is null)
        {
            tasklet.NextLink = tasklet;
            tasklet.PrevLink = tasklet;
            head = tasklet;
        }
        else
        {
            InsertBefore(head, tasklet);
        }
    }

    /// <summary>Inserts <paramref name="tasklet"/> right after <paramref name="anchor"/>, which is in a chain.</summary>
    public static void InsertAfter(Tasklet anchor, Tasklet tasklet)
    {
        Debug.Assert(anchor.NextLink is not null, "the anchor is in a chain");
        InsertBefore(anchor.NextLink!, tasklet);
    }

    /// <summary>Unlinks <paramref name="tasklet"/>; if it was the head, the head moves to its successor.</summary>
    public static void Remove(ref Tasklet? head, Tasklet tasklet)
    {
        Debug.Assert(tasklet.NextLink is not null, "the tasklet is in this chain");
        if (tasklet.NextLink == tasklet)
        {
            Debug.Assert(head == tasklet, "a single-element chain's only element is its head");
            head = null;
        }
        else
        {
            tasklet.PrevLink!.NextLink = tasklet.NextLink;
            tasklet.NextLink!.PrevLink = tasklet.PrevLink;
            if (head == tasklet)
            {
                head = tasklet.NextLink;
            }
        }

        tasklet.NextLink = null;
        tasklet.PrevLink = null;
    }

    /// <summary>The tasklets of the chain from its head, in order.</summary>
    public static List<Tasklet> ToList(Tasklet? head)
    {
        var list = new List<Tasklet>();
        for (var t = head; t is not null; t = t.NextLink == head ? null : t.NextLink)
        {
            list.Add(t);
        }

        return list;
    }

    private static void InsertBefore(Tasklet anchor, Tasklet tasklet)
    {
        tasklet.NextLink = anchor;
        tasklet.PrevLink = anchor.PrevLink;
        anchor.PrevLink!.NextLink = tasklet;
        anchor.PrevLink = tasklet;
    }
}
